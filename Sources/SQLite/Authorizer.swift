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
