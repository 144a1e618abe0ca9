import Logging
import SQLite

/// Facts about the linked SQLite library, for modules above the core that may not import `SQLite`.
public enum SQLiteInfo {
    /// The version string, e.g. "3.40.1".
    public static var version: String { Library.version }

    /// Whether this SQLite has the upstream "WAL-reset" bug (fixed in 3.51.3), which the daemon
    /// warns about once at start.
    public static var hasWALResetBug: Bool { Library.hasWALResetBug }

    /// What to know about this SQLite's WAL-reset bug and what to do about it; nil without the bug.
    public static var walResetBugNotice: String? {
        guard hasWALResetBug else { return nil }
        return
            "SQLite \(version) has the WAL-reset bug (fixed in 3.51.3); LiteSafe uses passive checkpoints by default to keep the risk low — keep checkpoint: passive, and upgrade libsqlite3 when your distribution ships 3.51.3 or later"
    }

    /// Logs that this SQLite has the WAL-reset bug, once per daemon start (`check-config` prints
    /// it too; one-shot commands stay quiet about it).
    public static func warnAboutWALResetBug(logger: Logger) {
        guard let walResetBugNotice else { return }
        logger.log(.sqliteWarning, level: .notice, "\(walResetBugNotice)")
    }
}
