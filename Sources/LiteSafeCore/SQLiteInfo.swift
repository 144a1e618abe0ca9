import SQLite

/// Facts about the linked SQLite library, for modules above the core that may not import `SQLite`.
public enum SQLiteInfo {
    /// The version string, e.g. "3.40.1".
    public static var version: String { Library.version }

    /// Whether this SQLite has the upstream "WAL-reset" bug (fixed in 3.51.3), which the daemon
    /// warns about once at start.
    public static var hasWALResetBug: Bool { Library.hasWALResetBug }
}
