import Foundation
import LiteSafeCore

/// A `BackupStore` in memory, kept as the directory store keeps its folder: each database a
/// set of named byte strings (data files, manifests, intent records), so it can be damaged
/// and cut short the way a folder can.
///
/// Stores made with `sharing:` see the same backups and the same locks, as two processes on
/// one folder do.
public final class InMemoryStore: BackupStore, @unchecked Sendable {
    // @unchecked: every mutable state is in `Storage`, behind its mutex.
    final class Storage: @unchecked Sendable {
        let mutex = NSLock()
        var files: [String: [String: [UInt8]]] = [:]
        var locked: Set<String> = []
        var pages: [String: InMemoryPageObjects] = [:]
    }

    let storage: Storage
    public let location: String
    public var fillsReservedStart: Bool { true }

    /// What the file recording a run in progress is called, followed by the backup's stem.
    public static let intentPrefix = ".intent."

    public init(location: String = "memory") {
        storage = Storage()
        self.location = location
    }

    /// A store over the same backups and locks as `other`.
    public init(sharing other: InMemoryStore) {
        storage = other.storage
        location = other.location
    }

    /// Makes a store holding `backups`, their data empty: for planning and pruning.
    public convenience init(_ backups: [StoredBackup], location: String = "memory") throws {
        self.init(location: location)
        for backup in backups {
            try put(
                backup.manifest.encoded(), named: backup.id.stem + BackupName.manifestSuffix, in: backup.id.database)
            put([], named: backup.manifest.file, in: backup.id.database)
        }
    }

    public func location(of database: String) -> String { location + "/" + database }

    /// Every whole backup of every database.
    public var all: [StoredBackup] {
        get throws { try databases().flatMap { try backups(of: $0) } }
    }

    // MARK: Reaching in, as a crash or a stranger does.

    /// The names of the files `database` has.
    public func names(in database: String) -> [String] {
        storage.mutex.withLock { (storage.files[database] ?? [:]).keys.sorted() }
    }

    /// Puts a file under `name`, replacing one there.
    public func put(_ bytes: [UInt8], named name: String, in database: String) {
        storage.mutex.withLock { storage.files[database, default: [:]][name] = bytes }
    }

    /// Removes the file `name` (nothing if there is none).
    public func remove(_ name: String, in database: String) {
        _ = storage.mutex.withLock { storage.files[database]?.removeValue(forKey: name) }
    }

    // MARK: BackupStore

    public func databases() throws -> [String] {
        storage.mutex.withLock { storage.files.keys.filter(DatabaseName.isValid).sorted() }
    }

    public func listing(of database: String) throws -> StoreListing {
        try DatabaseName.validate(database)
        let files = storage.mutex.withLock { storage.files[database] ?? [:] }
        var listing = StoreListing()
        for (name, bytes) in files.sorted(by: { $0.key < $1.key })
        where name.hasSuffix(BackupName.manifestSuffix) && !name.hasPrefix(".") {
            let location = self.location(of: database) + "/" + name
            let manifest: Manifest
            do {
                manifest = try Manifest.decode(bytes, path: location)
            } catch let error as BackupError where error.code == .unreadableManifest {
                listing.damaged.append(DamagedManifest(location: location, reason: error.reason ?? error.message))
                continue
            } catch {
                listing.damaged.append(DamagedManifest(location: location, reason: "\(error)"))
                continue
            }
            let stem = String(name.dropLast(BackupName.manifestSuffix.count))
            guard BackupName.isDataFile(manifest.file, of: database, stem: stem) else {
                listing.damaged.append(
                    DamagedManifest(
                        location: location,
                        reason: "it names the file '\(manifest.file)', which is not a backup of '\(database)'"))
                continue
            }
            guard files[manifest.file] != nil else {
                listing.damaged.append(
                    DamagedManifest(location: location, reason: "its data file \(manifest.file) is missing"))
                continue
            }
            listing.backups.append(
                StoredBackup(
                    id: BackupID(database: database, stem: stem), manifest: manifest,
                    dataLocation: self.location(of: database) + "/" + manifest.file, manifestLocation: location))
        }
        listing.backups.sort { ($0.manifest.created, $0.id.stem) > ($1.manifest.created, $1.id.stem) }
        return listing
    }

    public func isTaken(stem: String, database: String) throws -> Bool {
        try DatabaseName.validate(database)
        return names(in: database).contains { $0.hasPrefix(stem + ".") }
    }

    public func beginBackup(database: String, stem: String, dataExtension: String) throws -> any PendingBackup {
        try DatabaseName.validate(database)
        return Pending(store: self, database: database, stem: stem, fileName: stem + dataExtension)
    }

    public func read(_ backup: StoredBackup, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard BackupName.isDataFile(backup.manifest.file, of: backup.id.database, stem: backup.id.stem),
            let bytes = storage.mutex.withLock({ storage.files[backup.id.database]?[backup.manifest.file] })
        else {
            throw FileSystemError("read", path: backup.dataLocation, errno: ENOENT)
        }
        // In pieces, as a file is read: a reader must not rely on one call.
        var offset = 0
        repeat {
            let end = min(offset + 1_000, bytes.count)
            try bytes[offset..<end].withUnsafeBytes(body)
            offset = end
        } while offset < bytes.count
    }

    public func storedFacts(of backup: StoredBackup) throws -> StoredFacts {
        guard BackupName.isDataFile(backup.manifest.file, of: backup.id.database, stem: backup.id.stem),
            let bytes = storage.mutex.withLock({ storage.files[backup.id.database]?[backup.manifest.file] })
        else {
            throw FileSystemError("read", path: backup.dataLocation, errno: ENOENT)
        }
        return StoredFacts(size: Int64(bytes.count))
    }

    public func delete(_ backup: StoredBackup) throws {
        let (database, stem) = (backup.id.database, backup.id.stem)
        guard DatabaseName.isValid(database), BackupName.isDataFile(backup.manifest.file, of: database, stem: stem)
        else {
            throw BackupError.unreadableManifest(
                path: backup.manifestLocation,
                reason:
                    "it names '\(backup.manifest.file)', which is not one of this store's backup files; nothing was deleted"
            )
        }
        storage.mutex.withLock {
            storage.files[database, default: [:]][Self.intentPrefix + stem] = []
            storage.files[database]?.removeValue(forKey: stem + BackupName.manifestSuffix)
            storage.files[database]?.removeValue(forKey: backup.manifest.file)
            storage.files[database]?.removeValue(forKey: Self.intentPrefix + stem)
        }
    }

    public func lock(database: String) throws -> any StoreLock {
        try DatabaseName.validate(database)
        try storage.mutex.withLock {
            guard storage.locked.insert(database).inserted else {
                throw BackupError.alreadyRunning(database: database, lockPath: location(of: database) + "/.lock")
            }
        }
        return Lock(storage: storage, database: database)
    }

    public func pageObjects(database: String) throws -> any PageObjects {
        try DatabaseName.validate(database)
        return storage.mutex.withLock {
            if let objects = storage.pages[database] { return objects }
            let objects = InMemoryPageObjects()
            storage.pages[database] = objects
            return objects
        }
    }

    public func removeLeftovers(database: String) throws -> Leftovers {
        try DatabaseName.validate(database)
        return storage.mutex.withLock {
            var leftovers = Leftovers()
            let files = storage.files[database] ?? [:]
            let folder = location(of: database)
            var handled = Set<String>()
            for intent in files.keys where intent.hasPrefix(Self.intentPrefix) {
                let stem = String(intent.dropFirst(Self.intentPrefix.count))
                if files[stem + BackupName.manifestSuffix] == nil {
                    for name in files.keys where BackupName.isDataFile(name, of: database, stem: stem) {
                        storage.files[database]?.removeValue(forKey: name)
                        handled.insert(name)
                        leftovers.removed.append(folder + "/" + name)
                    }
                }
                storage.files[database]?.removeValue(forKey: intent)
            }
            for name in files.keys.sorted() where BackupName.isDataFile(name, of: database) && !handled.contains(name) {
                if let stem = BackupName.stem(ofDataFile: name), files[stem + BackupName.manifestSuffix] == nil {
                    leftovers.kept.append(folder + "/" + name)
                }
            }
            return leftovers
        }
    }

    /// Bytes held until commit, which publishes the data and then the manifest.
    final class Pending: PendingBackup {
        let store: InMemoryStore
        let database: String
        let stem: String
        let fileName: String
        private var bytes: [UInt8] = []
        private var done = false

        init(store: InMemoryStore, database: String, stem: String, fileName: String) {
            self.store = store
            self.database = database
            self.stem = stem
            self.fileName = fileName
        }

        func write(_ bytes: UnsafeRawBufferPointer) throws {
            precondition(!done, "write after commit or abandon")
            self.bytes += bytes
        }

        func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
            precondition(!done, "overwrite after commit or abandon")
            let start = Int(offset)
            precondition(start >= 0 && start + bytes.count <= self.bytes.count, "overwrite past what was written")
            self.bytes.replaceSubrange(start..<(start + bytes.count), with: bytes)
        }

        func readBack(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
            try bytes.withUnsafeBytes { try body($0) }
        }

        func commit(manifest: Manifest) throws -> StoredBackup {
            precondition(!done, "commit after commit or abandon")
            done = true
            let record = try manifest.encoded()
            let manifestName = stem + BackupName.manifestSuffix
            let storage = store.storage
            try storage.mutex.withLock {
                var files = storage.files[database] ?? [:]
                guard files[fileName] == nil, files[manifestName] == nil else {
                    throw FileSystemError("publish", path: store.location(of: database) + "/" + fileName, errno: EEXIST)
                }
                files[fileName] = bytes
                files[manifestName] = record
                storage.files[database] = files
            }
            return StoredBackup(
                id: BackupID(database: database, stem: stem), manifest: manifest,
                dataLocation: store.location(of: database) + "/" + fileName,
                manifestLocation: store.location(of: database) + "/" + manifestName)
        }

        func abandon() {
            done = true
            bytes = []
        }
    }

    final class Lock: StoreLock {
        private let storage: Storage
        private let database: String
        private var held = true

        init(storage: Storage, database: String) {
            self.storage = storage
            self.database = database
        }

        func release() {
            storage.mutex.withLock {
                if held { storage.locked.remove(database) }
                held = false
            }
        }

        deinit { release() }
    }
}

/// Makes in-memory stores, one per location: asked again for a location, it gives a store over
/// the same backups.
public final class InMemoryStoreFactory: StoreFactory, @unchecked Sendable {
    // @unchecked: `stores` is only touched under `mutex`.
    private let mutex = NSLock()
    private var stores: [StoreLocation: InMemoryStore] = [:]

    public init() {}

    public func makeStore(at location: StoreLocation) -> any BackupStore { store(at: location) }

    /// The store at `location`, for a test to look into.
    public func store(at location: StoreLocation) -> InMemoryStore {
        mutex.withLock {
            if let store = stores[location] { return InMemoryStore(sharing: store) }
            let store = InMemoryStore(location: location.description)
            stores[location] = store
            return store
        }
    }
}
