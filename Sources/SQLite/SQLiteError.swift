import CSQLite

/// An SQLite call that failed: the operation, SQLite's result code and its message.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// The primary result code (`SQLITE_BUSY`, `SQLITE_NOTADB`, …), as SQLite numbers it.
    public let code: Int32
    /// The extended result code, which tells e.g. `SQLITE_CANTOPEN_SYMLINK` from other open failures.
    public let extendedCode: Int32
    /// SQLite's own message for the failure.
    public let message: String
    /// What we were doing ("open /var/lib/app/app.db", "PRAGMA quick_check").
    public let operation: String

    public var kind: Kind {
        switch code {
        case SQLITE_BUSY, SQLITE_LOCKED: .busy
        case SQLITE_NOTADB: .notADatabase
        case SQLITE_CORRUPT: .corrupt
        case SQLITE_CANTOPEN:
            extendedCode == csqlite_cantopen_symlink() ? .symlink : .cannotOpen
        case SQLITE_FULL: .diskFull
        case SQLITE_READONLY: .readOnly
        case SQLITE_PERM, SQLITE_AUTH: .permissionDenied
        case SQLITE_IOERR: .ioError
        case SQLITE_INTERRUPT: .interrupted
        default: .other
        }
    }

    /// The failures callers act on.
    public enum Kind: Sendable, Equatable {
        case busy, notADatabase, corrupt, cannotOpen, symlink, diskFull, readOnly, permissionDenied, ioError
        /// `Connection.Interrupter.interrupt()` stopped the statement.
        case interrupted
        case other
    }

    public var description: String { "\(operation): \(message) (SQLite code \(extendedCode))" }

    init(code: Int32, extendedCode: Int32? = nil, message: String? = nil, operation: String) {
        self.code = code & 0xff
        self.extendedCode = extendedCode ?? code
        self.message = message ?? String(cString: sqlite3_errstr(code))
        self.operation = operation
    }

    init(connection: OpaquePointer?, code: Int32, operation: String) {
        let message = connection.map { String(cString: sqlite3_errmsg($0)) }
        let extended = connection.map { sqlite3_extended_errcode($0) } ?? code
        self.init(code: code, extendedCode: extended, message: message, operation: operation)
    }
}
