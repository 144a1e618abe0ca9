import CSQLite

/// One SQLite database connection.
///
/// Not thread-safe: use a connection from one thread at a time (SQLite's default
/// threading mode on Debian is "serialized", but statements are not shareable).
public final class Connection {
    /// How to open the database file.
    public struct OpenOptions: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let readOnly = OpenOptions(rawValue: SQLITE_OPEN_READONLY)
        public static let readWrite = OpenOptions(rawValue: SQLITE_OPEN_READWRITE)
        /// Create the file if it is missing. Never used for a source database: a typo must not
        /// leave an empty database where the application expects its data.
        public static let create = OpenOptions(rawValue: SQLITE_OPEN_CREATE)
        /// Refuse a path with a symbolic link in it (`SQLITE_OPEN_NOFOLLOW`).
        public static let noFollow = OpenOptions(rawValue: SQLITE_OPEN_NOFOLLOW)
        /// Read the path as a `file:` URI, so parameters such as `immutable=1` apply; also lets
        /// `ATTACH` take URIs (`mode=ro` attaches a second database read-only).
        public static let uri = OpenOptions(rawValue: SQLITE_OPEN_URI)
    }

    let handle: OpaquePointer
    /// The closure `setAuthorizer` installed, kept alive while SQLite may call it.
    var authorizer: AuthorizerBox?
    /// What SQLite calls into while this connection is open (a capture's VFS), released only
    /// after the connection is closed.
    var keepAlive: AnyObject?
    /// The path this connection was opened with.
    public let path: String

    /// Opens `path`; without `.create`, a missing file is an error rather than a new database.
    public convenience init(path: String, options: OpenOptions) throws {
        try self.init(path: path, options: options, vfs: nil)
    }

    /// Opens `path` through the VFS registered as `vfs` (nil: the default).
    init(path: String, options: OpenOptions, vfs: String?) throws {
        var db: OpaquePointer?
        // FULLMUTEX: the daemon may hand a connection between threads (never concurrently).
        let flags = options.rawValue | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(path, &db, flags, vfs)
        guard rc == SQLITE_OK, let db else {
            let error = SQLiteError(connection: db, code: rc, operation: "open \(path)")
            sqlite3_close_v2(db)
            throw error
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    /// How long a statement waits for another connection's lock before failing with `busy`.
    public func setBusyTimeout(milliseconds: Int) {
        sqlite3_busy_timeout(handle, Int32(clamping: milliseconds))
    }

    /// Runs one or more statements that return no rows of interest.
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) }
            sqlite3_free(message)
            throw SQLiteError(
                code: rc, extendedCode: sqlite3_extended_errcode(handle), message: text, operation: sql)
        }
    }

    /// Compiles one statement.
    public func prepare(_ sql: String) throws -> Statement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw SQLiteError(connection: handle, code: rc, operation: sql)
        }
        return Statement(handle: statement, connection: self, sql: sql)
    }

    /// Runs `sql` and returns every row's first column as text (pragmas such as `quick_check`).
    public func column(_ sql: String) throws -> [String] {
        let statement = try prepare(sql)
        var values: [String] = []
        while try statement.step() { values.append(statement.text(at: 0) ?? "") }
        return values
    }

    /// Runs `sql` and returns the first row's first column as an integer.
    public func integer(_ sql: String) throws -> Int64 {
        let statement = try prepare(sql)
        guard try statement.step() else {
            throw SQLiteError(code: SQLITE_ERROR, message: "no row returned", operation: sql)
        }
        return statement.integer(at: 0)
    }

    /// The database's journal mode, lower-cased (`wal`, `delete`, `truncate`, …).
    public func journalMode() throws -> String {
        try column("PRAGMA main.journal_mode").first?.lowercased() ?? ""
    }

    /// Stops this connection's running statement from another thread (`sqlite3_interrupt`):
    /// the statement fails with `SQLiteError.Kind.interrupted`.
    public var interrupter: Interrupter { Interrupter(handle: handle, owner: self) }

    /// A handle another thread may use to interrupt the connection; it keeps the connection open.
    public struct Interrupter: @unchecked Sendable {
        let handle: OpaquePointer
        let owner: Connection

        public func interrupt() { sqlite3_interrupt(handle) }
    }
}
