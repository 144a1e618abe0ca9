import CSQLite

/// Facts about the SQLite library this program is linked with.
public enum Library {
    /// The version string, e.g. "3.40.1".
    public static var version: String { String(cString: sqlite3_libversion()) }

    /// The version as a number, e.g. 3040001 for 3.40.1.
    public static var versionNumber: Int { Int(sqlite3_libversion_number()) }

    /// Whether this SQLite has the "WAL-reset" bug, which can corrupt a WAL database when two
    /// connections checkpoint and write at the same instant (https://sqlite.org/wal.html#walresetbug,
    /// fixed in 3.51.3).
    public static var hasWALResetBug: Bool { hasWALResetBug(version: versionNumber) }

    /// Whether SQLite `version` (as `versionNumber` counts) has the WAL-reset bug.
    public static func hasWALResetBug(version: Int) -> Bool { version < 3_051_003 }
}
