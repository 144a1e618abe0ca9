import CSQLite

/// One value as SQLite stores it, in one of its five storage classes.
///
/// Text is kept as its bytes: SQLite does not check that text is valid UTF-8 and text may hold
/// NUL bytes, and a dump must give back exactly what was stored.
public enum Value: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text([UInt8])
    case blob([UInt8])
}

extension Statement {
    /// How many columns each row of this statement has.
    public var columnCount: Int32 { sqlite3_column_count(handle) }

    /// The name of result column `column`.
    public func columnName(at column: Int32) -> String {
        sqlite3_column_name(handle, column).map { String(cString: $0) } ?? ""
    }

    /// The value of `column` in the current row, in its own storage class.
    public func value(at column: Int32) -> Value {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            // column_text before column_bytes, as SQLite's documentation says to.
            guard let text = sqlite3_column_text(handle, column) else { return .text([]) }
            let count = Int(sqlite3_column_bytes(handle, column))
            return .text(Array(UnsafeBufferPointer(start: text, count: count)))
        case SQLITE_BLOB:
            let bytes = sqlite3_column_blob(handle, column)
            let count = Int(sqlite3_column_bytes(handle, column))
            guard let bytes, count > 0 else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }
}

extension Connection {
    /// Whether `sql` ends with a complete statement (`sqlite3_complete`): a semicolon outside
    /// any string literal, identifier, comment or trigger body.
    public static func isComplete(_ sql: String) -> Bool { sqlite3_complete(sql) != 0 }
}

extension Statement {
    /// Binds `value` to parameter `index` (1-based) in its own storage class.
    public func bind(_ value: Value, at index: Int32) throws {
        switch value {
        case .null: try bindNull(at: index)
        case .integer(let n): try bind(n, at: index)
        case .real(let r): try bind(r, at: index)
        case .text(let bytes): try bindText(bytes, at: index)
        case .blob(let bytes): try bind(bytes, at: index)
        }
    }
}

/// One value of the current row, its text and BLOB bytes borrowed from SQLite: valid only
/// inside `Statement.withValue(at:_:)` (until the statement steps again).
public enum ValueView {
    case null
    case integer(Int64)
    case real(Double)
    case text(UnsafeRawBufferPointer)
    case blob(UnsafeRawBufferPointer)
}

extension Statement {
    /// Calls `body` with the value of `column` in the current row without copying its bytes.
    public func withValue<Result>(at column: Int32, _ body: (ValueView) throws -> Result) rethrows -> Result {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return try body(.integer(sqlite3_column_int64(handle, column)))
        case SQLITE_FLOAT: return try body(.real(sqlite3_column_double(handle, column)))
        case SQLITE_TEXT:
            let text = sqlite3_column_text(handle, column)
            let count = Int(sqlite3_column_bytes(handle, column))
            return try body(.text(UnsafeRawBufferPointer(start: count > 0 ? text : nil, count: count)))
        case SQLITE_BLOB:
            let bytes = sqlite3_column_blob(handle, column)
            let count = Int(sqlite3_column_bytes(handle, column))
            return try body(.blob(UnsafeRawBufferPointer(start: count > 0 ? bytes : nil, count: count)))
        default: return try body(.null)
        }
    }
}
