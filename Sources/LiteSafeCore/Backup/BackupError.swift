/// A backup, listing or restore that failed, in the shape of SwiftNIO's `FileSystemError`: a
/// `code` that callers, tests and the edge match on, the database and location (a path today,
/// a URL for remote stores) it concerns, and the underlying error.
///
/// `description` says what is wrong, naming the thing, what did or did not happen to the data,
/// and what to do about the data itself (use an older backup, wait for the other run). Advice
/// that depends on how LiteSafe is installed and run (its command line, the service's user, the
/// unit's settings, `install`/`chown` commands) is composed at the edge:
/// `ErrorMessage.describe` in `LiteSafePresentation`.
public struct BackupError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure; stable, so operators' tooling and tests can match on it.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case sourceMissing, sourceIsSymlink, sourceNotADatabase, sourceUnreadable, sourceLocked, checkFailed
        case destinationMissing, alreadyRunning, unreadableManifest, noBackups, noBackupAtOrBefore
        case hashMismatch, readBackMismatch, outputExists, outputInUse, restoredCheckFailed, invalidName, cancelled
    }

    public var code: Code
    /// The database concerned, when one is.
    public var database: String?
    /// The file, folder or object concerned (the lock, the manifest, OUT), when one is.
    public var location: String?
    /// What the underlying layer said (SQLite's message, `integrity_check`'s first lines), when
    /// it said it in words rather than as an error.
    public var reason: String?
    /// The error that caused this one, kept for the edge and for logs.
    public var cause: (any Error)?
    /// What is wrong, without advice.
    public var message: String

    public init(
        _ code: Code, database: String? = nil, location: String? = nil, reason: String? = nil,
        cause: (any Error)? = nil, message: String
    ) {
        self.code = code
        self.database = database
        self.location = location
        self.reason = reason
        self.cause = cause
        self.message = message
    }

    public var description: String { message }

    /// Equal when they say the same about the same thing (the cause is not compared).
    public static func == (lhs: BackupError, rhs: BackupError) -> Bool {
        lhs.code == rhs.code && lhs.database == rhs.database && lhs.location == rhs.location
            && lhs.reason == rhs.reason && lhs.message == rhs.message
    }
}

extension BackupError.Code {
    /// Lets `catch BackupError.cancelled` match any error with that code.
    public static func ~= (code: BackupError.Code, error: any Error) -> Bool {
        (error as? BackupError)?.code == code
    }
}

// One constructor per code, named as the cases of the enum this type replaced.
extension BackupError {
    public static var alreadyRunning: Code { .alreadyRunning }
    public static var cancelled: Code { .cancelled }
    public static var hashMismatch: Code { .hashMismatch }
    public static var restoredCheckFailed: Code { .restoredCheckFailed }
    public static var outputExists: Code { .outputExists }
    public static var outputInUse: Code { .outputInUse }
    public static var noBackups: Code { .noBackups }
    public static var noBackupAtOrBefore: Code { .noBackupAtOrBefore }

    public static func sourceMissing(path: String) -> BackupError {
        BackupError(
            .sourceMissing, location: path,
            message: "database \(path) does not exist (nothing was created); check the path in the configuration")
    }

    public static func sourceIsSymlink(path: String) -> BackupError {
        BackupError(
            .sourceIsSymlink, location: path,
            message: "database path \(path) contains a symbolic link, which LiteSafe refuses; configure the real path")
    }

    public static func sourceNotADatabase(path: String) -> BackupError {
        BackupError(
            .sourceNotADatabase, location: path,
            message: "\(path) is not an SQLite database (its header is not SQLite's); check the path")
    }

    public static func sourceUnreadable(path: String, reason: String, cause: (any Error)? = nil) -> BackupError {
        BackupError(
            .sourceUnreadable, location: path, reason: reason, cause: cause,
            message: "cannot open database \(path): \(reason)")
    }

    public static func sourceLocked(path: String, timeoutMilliseconds: Int, cause: (any Error)? = nil) -> BackupError {
        BackupError(
            .sourceLocked, location: path, reason: "\(timeoutMilliseconds) ms", cause: cause,
            message:
                "database \(path) stayed locked by another connection for longer than the busy timeout (\(timeoutMilliseconds) ms); the backup will be retried — raise busy_timeout if the application holds long transactions"
        )
    }

    public static func checkFailed(database: String, details: String, cause: (any Error)? = nil) -> BackupError {
        BackupError(
            .checkFailed, database: database, reason: details, cause: cause,
            message:
                "the snapshot of '\(database)' failed its integrity check (\(details)); nothing was published and older backups are untouched — check the source with `sqlite3 DB 'PRAGMA integrity_check'`"
        )
    }

    public static func destinationMissing(path: String) -> BackupError {
        BackupError(.destinationMissing, location: path, message: "destination folder \(path) does not exist")
    }

    public static func alreadyRunning(database: String, lockPath: String) -> BackupError {
        BackupError(
            .alreadyRunning, database: database, location: lockPath,
            message: "another backup or prune of '\(database)' is running (it holds \(lockPath)); wait for it to finish"
        )
    }

    /// `reason` says what is wrong with it; `cause` is the error reading or decoding it gave.
    public static func unreadableManifest(path: String, reason: String, cause: (any Error)? = nil) -> BackupError {
        BackupError(
            .unreadableManifest, location: path, reason: reason, cause: cause,
            message: "manifest \(path) cannot be read: \(reason)")
    }

    public static func noBackups(database: String, folder: String, kind: BackupKind = .snapshot) -> BackupError {
        BackupError(
            .noBackups, database: database, location: folder,
            message: kind == .dump
                ? "no stored dumps of '\(database)' in \(folder)" : "no backups of '\(database)' in \(folder)")
    }

    public static func noBackupAtOrBefore(
        database: String, time: String, oldest: String, kind: BackupKind = .snapshot
    ) -> BackupError {
        BackupError(
            .noBackupAtOrBefore, database: database,
            message:
                "no \(kind == .dump ? "stored dump" : "backup") of '\(database)' at or before \(time); the oldest is from \(oldest)"
        )
    }

    public static func hashMismatch(path: String, expected: String, actual: String) -> BackupError {
        BackupError(
            .hashMismatch, location: path,
            message:
                "\(path) does not match its manifest (SHA-256 \(actual), expected \(expected)): the backup is damaged; restore an older one"
        )
    }

    /// The stored file's size is not the manifest's (found without reading it: `verify --quick`).
    public static func sizeMismatch(path: String, expected: Int64, actual: Int64) -> BackupError {
        BackupError(
            .hashMismatch, location: path,
            message:
                "\(path) does not match its manifest (\(actual) bytes stored, expected \(expected)): the backup is damaged; restore an older one"
        )
    }

    public static func readBackMismatch(path: String) -> BackupError {
        BackupError(
            .readBackMismatch, location: path,
            message:
                "the backup just written to \(path) read back differently from what was written, so it was deleted: the disk or file system is corrupting data — check `dmesg` and the disk's health; older backups are untouched"
        )
    }

    public static func outputExists(path: String) -> BackupError {
        BackupError(.outputExists, location: path, message: "\(path) already exists")
    }

    public static func outputInUse(path: String, processes: [String]) -> BackupError {
        BackupError(
            .outputInUse, location: path, reason: processes.joined(separator: ", "),
            message:
                "\(path) is open by \(processes.joined(separator: ", ")); stop the application before replacing its database"
        )
    }

    public static func restoredCheckFailed(path: String, details: String) -> BackupError {
        BackupError(
            .restoredCheckFailed, location: path, reason: details,
            message:
                "the restored database failed integrity_check (\(details)); \(path) was not changed — try an older backup"
        )
    }

    public static func invalidName(_ name: String) -> BackupError {
        BackupError(
            .invalidName, database: name,
            message: "'\(name)' is not a valid database name: use letters, digits, '.', '_' and '-' only")
    }

    public static func cancelled(database: String) -> BackupError {
        BackupError(
            .cancelled, database: database, message: "the backup of '\(database)' was cancelled; nothing was published")
    }
}
