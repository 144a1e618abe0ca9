/// Where a store keeps its backups, as the configuration's `destination` or a command's flag
/// names it.
public enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    /// A folder on a mounted file system: `<path>/<database>/…` (`DirectoryStore`).
    case directory(String)

    /// How messages name the location: the folder's path.
    public var description: String {
        switch self {
        case .directory(let path): path
        }
    }

    /// How messages name where `database`'s backups are: `<destination>/<name>` for a folder.
    public func description(of database: String) -> String {
        switch self {
        case .directory(let path): path == "/" ? "/" + database : path + "/" + database
        }
    }
}

/// Makes the store for a location: the one place a backend is chosen.
///
/// The executable passes one to every command and to the daemon; tests pass one that makes
/// in-memory stores.
public protocol StoreFactory: Sendable {
    func makeStore(at location: StoreLocation) -> any BackupStore
}

/// The stores LiteSafe ships: a `DirectoryStore` for a folder.
public struct StandardStoreFactory: StoreFactory {
    public init() {}

    public func makeStore(at location: StoreLocation) -> any BackupStore {
        switch location {
        case .directory(let path): DirectoryStore(root: path)
        }
    }
}
