import CSQLite

/// What a statement being compiled asks to do, as SQLite's authorizer reports it
/// (https://sqlite.org/c3ref/set_authorizer.html).
public struct AuthorizerRequest: Sendable {
    public enum Action: Sendable, Equatable {
        case attach
        case detach
        /// `function` is the function's name.
        case function(String)
        /// `name` is the pragma's name, `value` its argument, if any.
        case pragma(name: String, value: String?)
        case other(Int32)
    }
    public let action: Action
}

/// The authorizer's answer.
public enum AuthorizerDecision: Sendable {
    /// Compile it.
    case allow
    /// Refuse the whole statement with an error.
    case deny
    /// Compile the statement without this part (a pragma becomes a no-op).
    case ignore
}

extension Connection {
    /// Asks `decide` about every action of every statement this connection compiles from now on.
    public func setAuthorizer(_ decide: @escaping (AuthorizerRequest) -> AuthorizerDecision) {
        let box = AuthorizerBox(decide)
        authorizer = box
        let context = Unmanaged.passUnretained(box).toOpaque()
        sqlite3_set_authorizer(
            handle,
            { context, code, first, second, _, _ in
                guard let context else { return SQLITE_OK }
                let box = Unmanaged<AuthorizerBox>.fromOpaque(context).takeUnretainedValue()
                let text = { (pointer: UnsafePointer<CChar>?) in pointer.map { String(cString: $0) } }
                let action: AuthorizerRequest.Action =
                    switch code {
                    case SQLITE_ATTACH: .attach
                    case SQLITE_DETACH: .detach
                    case SQLITE_FUNCTION: .function(text(second) ?? "")
                    case SQLITE_PRAGMA: .pragma(name: text(first) ?? "", value: text(second))
                    default: .other(code)
                    }
                switch box.decide(AuthorizerRequest(action: action)) {
                case .allow: return SQLITE_OK
                case .deny: return SQLITE_DENY
                case .ignore: return SQLITE_IGNORE
                }
            }, context)
    }

    /// Lowers how many databases may be attached (0: none; `VACUUM INTO` attaches one too).
    public func limitAttachedDatabases(to count: Int32) {
        sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, count)
    }

    /// Whether no transaction is open (SQLite's autocommit mode).
    public var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }
}

/// Keeps the authorizer closure alive as long as the connection that calls it.
final class AuthorizerBox {
    let decide: (AuthorizerRequest) -> AuthorizerDecision
    init(_ decide: @escaping (AuthorizerRequest) -> AuthorizerDecision) { self.decide = decide }
}

extension Connection {
    /// Whether `sql` (bytes, not necessarily UTF-8) ends with a complete statement.
    public static func isComplete(bytes sql: [UInt8]) -> Bool {
        (sql + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { sqlite3_complete($0.baseAddress) != 0 }
        }
    }

    /// Runs every statement in `sql` exactly as its bytes say (text that is not UTF-8 stays as
    /// it is), one statement at a time.
    public func execute(bytes sql: [UInt8]) throws {
        try sql.withUnsafeBytes { buffer in
            guard var next = buffer.baseAddress?.assumingMemoryBound(to: CChar.self) else { return }
            let end = next + buffer.count
            while next < end {
                var statement: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let rc = sqlite3_prepare_v2(handle, next, Int32(end - next), &statement, &tail)
                let text = String(
                    decoding: UnsafeRawBufferPointer(start: next, count: min(200, end - next)), as: UTF8.self)
                guard rc == SQLITE_OK else {
                    throw SQLiteError(connection: handle, code: rc, operation: text)
                }
                if let statement {
                    defer { sqlite3_finalize(statement) }
                    var step = sqlite3_step(statement)
                    while step == SQLITE_ROW { step = sqlite3_step(statement) }
                    guard step == SQLITE_DONE else {
                        throw SQLiteError(connection: handle, code: step, operation: text)
                    }
                }
                guard let tail, tail > next else { break }
                next = tail
            }
        }
    }
}
