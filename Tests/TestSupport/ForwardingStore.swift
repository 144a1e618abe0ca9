import LiteSafeCore

/// A store that does all that `base` does, for a test double that changes one thing: it
/// declares only what differs (a delete that fails, no reserved start, parts held in memory).
public protocol ForwardingStore: BackupStore {
    associatedtype Base: BackupStore
    var base: Base { get }
}

extension ForwardingStore {
    public var location: String { base.location }
    public func location(of database: String) -> String { base.location(of: database) }
    public var confirmsStoredBytes: Bool { base.confirmsStoredBytes }
    public var pendingBufferBytes: Int { base.pendingBufferBytes }
    public var fillsReservedStart: Bool { base.fillsReservedStart }
    public func databases() throws -> [String] { try base.databases() }
    public func listing(of database: String) throws -> StoreListing { try base.listing(of: database) }
    public func isTaken(stem: String, database: String) throws -> Bool {
        try base.isTaken(stem: stem, database: database)
    }
    public func beginBackup(database: String, stem: String, dataExtension: String) throws -> any PendingBackup {
        try base.beginBackup(database: database, stem: stem, dataExtension: dataExtension)
    }
    public func read(_ backup: StoredBackup, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try base.read(backup, body)
    }
    public func storedFacts(of backup: StoredBackup) throws -> StoredFacts { try base.storedFacts(of: backup) }
    public func lockedState(of backup: StoredBackup) throws -> BackupLocked? { try base.lockedState(of: backup) }
    public func delete(_ backup: StoredBackup) throws { try base.delete(backup) }
    public func lock(database: String) throws -> any StoreLock { try base.lock(database: database) }
    public func checkSettings() throws -> [String] { try base.checkSettings() }
    public func removeLeftovers(database: String) throws -> Leftovers { try base.removeLeftovers(database: database) }
    public func pageObjects(database: String) throws -> any PageObjects { try base.pageObjects(database: database) }
}
