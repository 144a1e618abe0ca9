import S3

/// What an S3 store reports besides the S3 answers themselves (`S3Error`).
public enum S3StoreError: Error, Sendable, CustomStringConvertible {
    /// A backup's data or manifest object already exists under that name (a 412 to
    /// `If-None-Match: *`): another writer got there first; nothing of theirs was touched.
    case nameTaken(location: String)
    /// The credentials file could not be used.
    case credentials(source: String, reason: String)
    /// After an upload, S3 holds an object of another size than was sent; it was deleted.
    case sizeMismatch(location: String, sent: Int64, stored: Int64)
    /// The store's settings cannot make a client (a malformed endpoint).
    case configuration(location: String, reason: String)

    public var description: String {
        switch self {
        case .nameTaken(let location):
            "\(location) already exists: another writer published under this name; nothing was overwritten"
        case .credentials(let source, let reason):
            "cannot use the S3 credentials in \(source): \(reason)"
        case .sizeMismatch(let location, let sent, let stored):
            "S3 stored \(stored) bytes for \(location) but \(sent) were sent; the object was deleted"
        case .configuration(let location, let reason):
            "the S3 store \(location) is misconfigured: \(reason)"
        }
    }
}
