/// Where a store keeps its backups, as the configuration's `destination` or a command's flag
/// names it.
public enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    /// A folder on a mounted file system: `<path>/<database>/…` (`DirectoryStore`).
    case directory(String)
    /// A bucket of an S3-compatible service: objects `<prefix><database>/…` (the ObjectStore
    /// module's `S3Store`; the core only names it).
    case s3(S3Location)

    /// How messages name the location: the folder's path, or `s3://bucket/prefix`.
    public var description: String {
        switch self {
        case .directory(let path): path
        case .s3(let bucket): bucket.description
        }
    }

    /// How messages name where `database`'s backups are: `<destination>/<name>` for a folder.
    public func description(of database: String) -> String {
        switch self {
        case .directory(let path): path == "/" ? "/" + database : path + "/" + database
        case .s3(let bucket): bucket.description + database
        }
    }
}

/// A bucket and prefix of an S3-compatible service, and how to reach and sign for it.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    public var bucket: String
    /// What every object name starts with: empty, or ending in `/` (`db01/`).
    public var prefix: String
    public var region: String
    /// The service's URL (`https://s3.eu-central-1.amazonaws.com`); nil for AWS's in `region`.
    public var endpoint: String?
    /// Whether the bucket goes in the path (`endpoint/bucket/key`) instead of the host name.
    public var pathStyle: Bool
    /// The file holding the access key; nil to take `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY` from the environment. Only its path is here, never the key.
    public var credentialsFile: String?
    /// The storage class objects are written with (`STANDARD_IA`); nil for the bucket's default.
    public var storageClass: String?
    /// How long each written object is locked against deletion; nil for no object lock.
    public var objectLock: ObjectLock?
    /// Whether an `http://` endpoint that is not on this machine was allowed on purpose.
    public var allowHTTP: Bool
    /// A PEM file of certificate authorities trusted besides the system's; nil for none.
    public var caFile: String?

    public init(
        bucket: String, prefix: String = "", region: String, endpoint: String? = nil, pathStyle: Bool = false,
        credentialsFile: String? = nil, storageClass: String? = nil, objectLock: ObjectLock? = nil,
        allowHTTP: Bool = false, caFile: String? = nil
    ) {
        self.bucket = bucket
        self.prefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        self.region = region
        self.endpoint = endpoint
        self.pathStyle = pathStyle
        self.credentialsFile = credentialsFile
        self.storageClass = storageClass
        self.objectLock = objectLock
        self.allowHTTP = allowHTTP
        self.caFile = caFile
    }

    /// S3 Object Lock as written objects get it: a retention mode and a period in days.
    public struct ObjectLock: Sendable, Hashable, CustomStringConvertible {
        public enum Mode: String, Sendable, Hashable, CaseIterable {
            /// Users with `s3:BypassGovernanceRetention` may still delete early.
            case governance
            /// Nobody, not even the account's root, deletes before the period is over.
            case compliance
        }

        public var mode: Mode
        public var days: Int

        public init(mode: Mode, days: Int) {
            self.mode = mode
            self.days = days
        }

        public var description: String { "\(mode.rawValue), \(days) days" }
    }

    /// `s3://bucket/prefix/`.
    public var description: String { "s3://\(bucket)/\(prefix)" }
}

/// Makes the store for a location: the one place a backend is chosen.
///
/// The executable passes one to every command and to the daemon; tests pass one that makes
/// in-memory stores.
public protocol StoreFactory: Sendable {
    func makeStore(at location: StoreLocation) -> any BackupStore
    /// A store whose blocking operations (network requests) end soon after `cancellation` is
    /// set, for one backup the daemon may stop; by default, `makeStore(at:)`'s (a folder's
    /// operations end by themselves).
    func makeStore(at location: StoreLocation, cancellation: Cancellation) -> any BackupStore
}

extension StoreFactory {
    public func makeStore(at location: StoreLocation, cancellation: Cancellation) -> any BackupStore {
        makeStore(at: location)
    }
}

/// The stores the core has: a `DirectoryStore` for a folder. An S3 location needs the factory
/// of the module that speaks HTTP (ObjectStore's `S3StoreFactory`); here it makes a store whose
/// every operation says so.
public struct StandardStoreFactory: StoreFactory {
    public init() {}

    public func makeStore(at location: StoreLocation) -> any BackupStore {
        switch location {
        case .directory(let path): DirectoryStore(root: path)
        case .s3(let bucket): UnreachableStore(location: bucket.description)
        }
    }
}

/// What a factory without S3 support makes for an S3 location: every operation fails.
struct UnreachableStore: BackupStore {
    struct Unsupported: Error, CustomStringConvertible {
        let location: String
        var description: String {
            "\(location): this factory makes no S3 stores (it is ObjectStore's S3StoreFactory's)"
        }
    }

    let location: String

    func location(of database: String) -> String { location + database }
    func databases() throws -> [String] { throw Unsupported(location: location) }
    func listing(of database: String) throws -> StoreListing { throw Unsupported(location: location) }
    func beginBackup(database: String, stem: String, dataExtension: String) throws -> any PendingBackup {
        throw Unsupported(location: location)
    }
    func read(_ backup: StoredBackup, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        throw Unsupported(location: location)
    }
    func storedFacts(of backup: StoredBackup) throws -> StoredFacts { throw Unsupported(location: location) }
    func delete(_ backup: StoredBackup) throws { throw Unsupported(location: location) }
    func lock(database: String) throws -> any StoreLock { throw Unsupported(location: location) }
    func removeLeftovers(database: String) throws -> Leftovers { throw Unsupported(location: location) }
}
