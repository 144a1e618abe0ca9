import Foundation

/// One committed backup: its manifest and where its data lives.
public struct StoredBackup: Sendable, Equatable {
    public let manifest: Manifest
    /// Where the data file is (a path for the directory store).
    public let dataLocation: String
    /// Where the manifest is.
    public let manifestLocation: String

    public init(manifest: Manifest, dataLocation: String, manifestLocation: String) {
        self.manifest = manifest
        self.dataLocation = dataLocation
        self.manifestLocation = manifestLocation
    }
}

/// A backup being written: bytes go in, and nothing is visible until `commit`.
public protocol PendingBackup: AnyObject {
    /// Appends stored (compressed, encrypted) bytes.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Publishes the data and then its manifest, durably; fails if the name is taken.
    func commit(manifest: Manifest) throws -> StoredBackup
    /// Throws the bytes away; harmless after commit.
    func abandon()
    /// The data file's final name.
    var fileName: String { get }
}

/// Where backups are kept. The directory store is the one today; object storage can follow,
/// and one contract test suite runs against every implementation.
public protocol BackupStore: Sendable {
    /// A human-readable description of where this store is ("/var/backups/litesafe").
    var location: String { get }
    /// Names of the databases with a folder in the store.
    func databases() throws -> [String]
    /// Every whole backup of `database` (manifest and data present), newest first.
    func backups(of database: String) throws -> [StoredBackup]
    /// Whether a backup (or a file of one) named after `stem` already exists.
    func isTaken(stem: String, database: String) throws -> Bool
    /// Starts a new backup named after `stem` with the extension `dataExtension`.
    func beginBackup(database: String, stem: String, dataExtension: String) throws -> any PendingBackup
    /// Streams a backup's stored bytes.
    func read(_ backup: StoredBackup, _ body: (UnsafeRawBufferPointer) throws -> Void) throws
    /// Deletes a backup: manifest first (the commit record), then data.
    func delete(_ backup: StoredBackup) throws
    /// Takes the per-database lock that keeps a backup, a prune and a cleanup apart.
    func lock(database: String) throws -> any StoreLock
    /// Removes what interrupted runs left behind; returns what was removed. Call with the lock held.
    func removeLeftovers(database: String) throws -> [String]
}

/// A held per-database lock; released on `release()` or deinit.
public protocol StoreLock: AnyObject {
    func release()
}

extension BackupStore {
    public func isTaken(stem: String, database: String) throws -> Bool {
        try backups(of: database).contains { $0.manifest.file.hasPrefix(stem + ".") }
    }
}

extension BackupStore {
    /// The backup a restore takes: the newest of `database`'s, or with `time` the newest taken at
    /// or before it; an error names the folder, or the oldest backup there is.
    public func backup(of database: String, atOrBefore time: Date? = nil) throws -> StoredBackup {
        let backups = try backups(of: database)
        guard let newest = backups.first, let oldest = backups.last else {
            throw BackupError.noBackups(database: database, folder: location + "/" + database)
        }
        guard let time else { return newest }
        guard let chosen = backups.first(where: { $0.manifest.created <= time }) else {
            throw BackupError.noBackupAtOrBefore(
                database: database, time: BackupName.iso8601(time), oldest: BackupName.iso8601(oldest.manifest.created))
        }
        return chosen
    }
}
