/// A page store that failed: what, on which object, and why, with the cause kept.
public struct PageStoreError: Error, CustomStringConvertible, Sendable {
    /// The kinds of failure callers and the edge tell apart.
    public enum Code: Sendable, Hashable {
        /// An object the snapshot needs is not in the store.
        case missingObject
        /// An object is there but is not what it claims (a hash, a format, a length).
        case damagedObject
        /// Pages came out of the store other than they went in: `pages` names them.
        case damagedPages
        /// None of the identities opens the page key or an object.
        case wrongKey
        /// The caller gave pages other than the snapshot's shape allows.
        case invalidInput
        /// The store itself failed (a folder, later a server).
        case storeFailed
    }

    public let code: Code
    /// The object's name in the store, when there is one.
    public let object: String?
    public let reason: String
    /// For `damagedPages`: the page numbers whose content does not match their IDs.
    public let pages: [UInt32]
    public let cause: (any Error & Sendable)?

    public init(
        _ code: Code, object: String? = nil, reason: String, pages: [UInt32] = [], cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.object = object
        self.reason = reason
        self.pages = pages
        self.cause = cause
    }

    public var description: String {
        let subject = object.map { "page store object \($0): " } ?? "page store: "
        let because = cause.map { ": \($0)" } ?? ""
        let advice =
            switch code {
            case .missingObject, .damagedObject, .damagedPages: "; nothing was written — use an older backup"
            case .wrongKey: "; nothing was written — give the identity whose recipient the backups are encrypted to"
            case .invalidInput, .storeFailed: ""
            }
        return subject + reason + because + advice
    }
}
