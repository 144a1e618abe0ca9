/// The failures of backing up, listing and restoring that callers and operators act on.
///
/// Every description names the thing that is wrong and says what to do.
public enum BackupError: Error, CustomStringConvertible, Sendable, Equatable {
    case sourceMissing(path: String)
    case sourceIsSymlink(path: String)
    case sourceNotADatabase(path: String)
    case sourceUnreadable(path: String, reason: String)
    case sourceLocked(path: String, timeoutMilliseconds: Int)
    case checkFailed(database: String, details: String)
    case destinationMissing(path: String)
    case alreadyRunning(database: String, lockPath: String)
    case unreadableManifest(path: String, reason: String)
    case noBackups(database: String, folder: String)
    case noBackupAtOrBefore(database: String, time: String, oldest: String)
    case hashMismatch(path: String, expected: String, actual: String)
    case readBackMismatch(path: String)
    case outputExists(path: String)
    case outputInUse(path: String, processes: [String])
    case restoredCheckFailed(path: String, details: String)
    case invalidName(String)
    case cancelled(database: String)

    public var description: String {
        switch self {
        case .sourceMissing(let path):
            "database \(path) does not exist (nothing was created); check the path in the configuration"
        case .sourceIsSymlink(let path):
            "database path \(path) contains a symbolic link, which LiteSafe refuses; configure the real path"
        case .sourceNotADatabase(let path):
            "\(path) is not an SQLite database (its header is not SQLite's); check the path"
        case .sourceUnreadable(let path, let reason):
            "cannot open database \(path): \(reason); give the litesafe user read-write access to the file and its folder (SQLite needs the folder for -wal/-shm files)"
        case .sourceLocked(let path, let timeout):
            "database \(path) stayed locked by another connection for longer than the busy timeout (\(timeout) ms); the backup will be retried — raise busy_timeout if the application holds long transactions"
        case .checkFailed(let database, let details):
            "the snapshot of '\(database)' failed its integrity check (\(details)); nothing was published and older backups are untouched — check the source with `sqlite3 DB 'PRAGMA integrity_check'`"
        case .destinationMissing(let path):
            "destination folder \(path) does not exist; create it (install -d -m 0700 -o litesafe \(path)) or fix the path"
        case .alreadyRunning(let database, let lockPath):
            "another backup or prune of '\(database)' is running (it holds \(lockPath)); wait for it to finish"
        case .unreadableManifest(let path, let reason):
            "manifest \(path) cannot be read: \(reason); make it readable by the user LiteSafe runs as (backups made by root with `litesafe backup` are root's: chown -R litesafe: the folder), or move it aside if it is damaged"
        case .noBackups(let database, let folder):
            "no backups of '\(database)' in \(folder); run `litesafe list` to see what is there"
        case .noBackupAtOrBefore(let database, let time, let oldest):
            "no backup of '\(database)' at or before \(time); the oldest is from \(oldest)"
        case .hashMismatch(let path, let expected, let actual):
            "\(path) does not match its manifest (SHA-256 \(actual), expected \(expected)): the backup is damaged; restore an older one"
        case .readBackMismatch(let path):
            "the backup just written to \(path) read back differently from what was written, so it was deleted: the disk or file system is corrupting data — check `dmesg` and the disk's health; older backups are untouched"
        case .outputExists(let path):
            "\(path) already exists; choose another output path, or pass --force to replace it (only when nothing has it open)"
        case .outputInUse(let path, let processes):
            "\(path) is open by \(processes.joined(separator: ", ")); stop the application before replacing its database"
        case .restoredCheckFailed(let path, let details):
            "the restored database failed integrity_check (\(details)); \(path) was not changed — try an older backup"
        case .invalidName(let name):
            "'\(name)' is not a valid database name: use letters, digits, '.', '_' and '-' only"
        case .cancelled(let database):
            "the backup of '\(database)' was cancelled; nothing was published"
        }
    }
}
