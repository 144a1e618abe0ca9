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
    /// After an upload, S3 holds an object of the right size whose checksum or ETag is not the
    /// bytes sent (damaged on the way by a service that checks neither); it was deleted.
    case checksumMismatch(location: String, detail: String)
    /// The store's settings cannot make a client (a malformed endpoint).
    case configuration(location: String, reason: String)
    /// The store has `object_lock`, but its bucket has no Object Lock configuration: S3 would
    /// refuse every backup's retention headers.
    case objectLockNotEnabled(location: String, bucket: String)

    public var description: String {
        switch self {
        case .nameTaken(let location):
            "\(location) already exists: another writer published under this name; nothing was overwritten"
        case .credentials(let source, let reason):
            "cannot use the S3 credentials in \(source): \(reason)"
        case .sizeMismatch(let location, let sent, let stored):
            "S3 stored \(stored) bytes for \(location) but \(sent) were sent; the object was deleted"
        case .checksumMismatch(let location, let detail):
            "S3 stored other bytes for \(location) than were sent (\(detail)); the object was deleted"
        case .configuration(let location, let reason):
            "the S3 store \(location) is misconfigured: \(reason)"
        case .objectLockNotEnabled(let location, let bucket):
            "the S3 store \(location) has object_lock, but bucket \(bucket) does not have Object Lock enabled (GetObjectLockConfiguration found none), so S3 would refuse every backup; create the bucket with Object Lock enabled (or enable it on the versioned bucket), or remove object_lock from the store"
        }
    }
}
