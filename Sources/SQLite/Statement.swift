import CSQLite

/// A compiled SQL statement of one `Connection`.
public final class Statement {
    let handle: OpaquePointer
    let connection: Connection
    let sql: String

    init(handle: OpaquePointer, connection: Connection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Advances to the next row; returns false when the statement is done.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(connection: connection.handle, code: rc, operation: sql)
        }
    }

    /// Resets the statement so it can run again with new bindings.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    public func bind(_ value: String, at index: Int32) throws {
        try check(sqlite3_bind_text(handle, index, value, -1, csqlite_transient()))
    }

    public func bind(_ value: [UInt8], at index: Int32) throws {
        try check(
            value.withUnsafeBytes {
                sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), csqlite_transient())
            })
    }

    public func bind(_ value: Double, at index: Int32) throws {
        try check(sqlite3_bind_double(handle, index, value))
    }

    public func bindNull(at index: Int32) throws {
        try check(sqlite3_bind_null(handle, index))
    }

    /// Binds text given as its bytes (which may hold NULs or be other than UTF-8, as stored).
    public func bindText(_ bytes: [UInt8], at index: Int32) throws {
        // An empty array has no base address, and a NULL pointer would bind NULL, not ''.
        guard !bytes.isEmpty else { return try bind("", at: index) }
        try check(
            bytes.withUnsafeBytes {
                sqlite3_bind_text(
                    handle, index, $0.baseAddress!.assumingMemoryBound(to: CChar.self), Int32($0.count),
                    csqlite_transient())
            })
    }

    public func integer(at column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    public func text(at column: Int32) -> String? {
        sqlite3_column_text(handle, column).map { String(cString: $0) }
    }

    private func check(_ rc: Int32) throws {
        guard rc == SQLITE_OK else {
            throw SQLiteError(connection: connection.handle, code: rc, operation: "bind for \(sql)")
        }
    }
}
