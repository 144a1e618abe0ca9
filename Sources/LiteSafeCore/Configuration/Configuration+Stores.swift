extension Configuration {
    /// A store a database's backups go to: one entry of the top-level `stores:`, or the implicit
    /// one a `destination:` makes.
    public struct NamedStore: Sendable, Equatable {
        /// The store's name in the file (`offsite`); `destination` for the implicit store.
        public var name: String
        public var location: StoreLocation
        /// The store's own `retention:`, which replaces the database's in this store; nil to use
        /// the database's.
        public var retention: RetentionPolicy?

        /// What the implicit store a `destination:` makes is called (in `--store`, logs, status).
        public static let destinationName = "destination"

        public init(name: String, location: StoreLocation, retention: RetentionPolicy? = nil) {
            self.name = name
            self.location = location
            self.retention = retention
        }
    }

    /// The configured store named `name` of those `database` uses.
    ///
    /// - Throws: `UnknownStore`, naming the stores the database has.
    public func store(named name: String, of database: Database) throws -> NamedStore {
        guard let store = database.stores.first(where: { $0.name == name }) else {
            throw UnknownStore(name: name, database: database.name, configured: database.stores.map(\.name))
        }
        return store
    }

    /// A `--store` name the database does not use.
    public struct UnknownStore: Error, CustomStringConvertible {
        public let name: String
        public let database: String
        public let configured: [String]

        public var description: String {
            "database '\(database)' has no store named '\(name)'; its stores: \(configured.joined(separator: ", "))"
        }
    }
}

extension Configuration.Database {
    /// The retention that applies in `store`: the store's own, else the database's.
    public func retention(in store: Configuration.NamedStore) -> RetentionPolicy {
        store.retention ?? retention
    }
}
