import Foundation

/// Which backup of a store: its database and the stem its files are named after
/// (`app-2026-11-26T12:00:03Z`). A store finds the backup's files from it; nothing else does.
public struct BackupID: Sendable, Hashable, CustomStringConvertible {
    public let database: String
    public let stem: String

    public init(database: String, stem: String) {
        self.database = database
        self.stem = stem
    }

    public var description: String { database + "/" + stem }
}

/// One committed backup: which it is, its manifest, and how messages name its files.
public struct StoredBackup: Sendable, Equatable {
    public let id: BackupID
    public let manifest: Manifest
    /// How messages and JSON name the data file, as its store says (a path for the directory
    /// store); only for display: the store finds the backup from `id`.
    public let dataLocation: String
    /// How messages and JSON name the manifest, as its store says.
    public let manifestLocation: String

    public init(id: BackupID, manifest: Manifest, dataLocation: String, manifestLocation: String) {
        self.id = id
        self.manifest = manifest
        self.dataLocation = dataLocation
        self.manifestLocation = manifestLocation
    }
}

/// A manifest that names no backup this store can list: unreadable, not JSON, naming a file
/// that is not one of its database's, or whose data file is gone. It is reported and left
/// alone: never listed, restored or deleted.
public struct DamagedManifest: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the manifest is.
    public let location: String
    /// What is wrong with it.
    public let reason: String
    /// The error reading it gave, when that is the reason (kept for the edge's advice).
    public let cause: (any Error)?

    public init(location: String, reason: String, cause: (any Error)? = nil) {
        self.location = location
        self.reason = reason
        self.cause = cause
    }

    /// Equal when they name the same manifest for the same reason (the cause is not compared).
    public static func == (lhs: DamagedManifest, rhs: DamagedManifest) -> Bool {
        lhs.location == rhs.location && lhs.reason == rhs.reason
    }

    public var description: String {
        // A manifest's name is whatever a writer of the store chose: escaped for the terminal.
        "manifest \(location.escapingControlCharacters) is damaged: \(reason); it was skipped (move it aside once you have looked at it)"
    }
}

/// What a store holds for one database: the whole backups, and the manifests it had to skip.
public struct StoreListing: Sendable, Equatable {
    /// Every whole backup (manifest and data present), newest first.
    public var backups: [StoredBackup]
    /// Manifests that name no backup this store can list, in name order.
    public var damaged: [DamagedManifest]

    public init(backups: [StoredBackup] = [], damaged: [DamagedManifest] = []) {
        self.backups = backups
        self.damaged = damaged
    }
}

/// What a cleanup found: the files it removed, and data files without a manifest it kept
/// because no interrupted run of LiteSafe is known to have left them.
public struct Leftovers: Sendable, Equatable {
    public var removed: [String] = []
    /// Data files without a manifest, not named by an intent record: copied in by hand, or
    /// whose manifest was moved away. Reported, never deleted.
    public var kept: [String] = []

    public init(removed: [String] = [], kept: [String] = []) {
        self.removed = removed
        self.kept = kept
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
    /// Writes `bytes` over bytes written before at `offset` (a region the stream reserved at its
    /// start and fills last), without moving where `write` appends. Only for a store whose
    /// `fillsReservedStart` is true.
    func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws
    /// Streams what was written so far, from the first byte, as the store holds it now (before
    /// `commit`; made durable first where the store can). Only for a store whose
    /// `fillsReservedStart` is true.
    func readBack(_ body: (UnsafeRawBufferPointer) throws -> Void) throws
}

extension PendingBackup {
    public func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        preconditionFailure("\(Self.self) cannot overwrite what it was given (its store's fillsReservedStart is false)")
    }

    public func readBack(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        preconditionFailure("\(Self.self) cannot read back before commit (its store's fillsReservedStart is false)")
    }
}

/// Where backups are kept. The directory store is the one today; object storage can follow.
///
/// Only a `StoreFactory` makes one, from a `StoreLocation`; everything else reaches backups
/// through this protocol and names them by `BackupID`. `StoreContract` (in TestSupport) is
/// what every implementation must pass, and `StoreContractTests` runs it against each.
public protocol BackupStore: Sendable {
    /// A human-readable description of where this store is ("/var/backups/litesafe").
    var location: String { get }
    /// How messages name where `database`'s backups are ("/var/backups/litesafe/app").
    func location(of database: String) -> String
    /// Whether a commit proves the stored bytes are those written (default: no).
    var confirmsStoredBytes: Bool { get }
    /// How many bytes a pending backup holds in memory at most while it is written (an object
    /// store's parts in flight; default: none), so the pipeline feeding it can leave room.
    var pendingBufferBytes: Int { get }
    /// Whether a pending backup can fill a region at its start after the rest was written, and
    /// be read back before its commit (`PendingBackup.overwrite`, `readBack`): what a snapshot
    /// streamed as SQLite captures it needs, page 1 coming last (default: no).
    var fillsReservedStart: Bool { get }
    /// Names of the databases with a folder in the store.
    func databases() throws -> [String]
    /// Every whole backup of `database`, newest first, and the manifests it skipped as damaged.
    /// Throws only when the folder itself cannot be read.
    func listing(of database: String) throws -> StoreListing
    /// Whether a backup (or a file of one) named after `stem` already exists.
    func isTaken(stem: String, database: String) throws -> Bool
    /// Starts a new backup named after `stem` with the extension `dataExtension`.
    func beginBackup(database: String, stem: String, dataExtension: String) throws -> any PendingBackup
    /// Streams a backup's stored bytes.
    func read(_ backup: StoredBackup, _ body: (UnsafeRawBufferPointer) throws -> Void) throws
    /// What the store knows of a backup's stored bytes without reading them (`verify --quick`).
    func storedFacts(of backup: StoredBackup) throws -> StoredFacts
    /// Whether the store keeps `backup` locked against deletion now (S3 Object Lock), asked
    /// without deleting (`prune --dry-run`); nil when it may be deleted (default: nothing locks).
    func lockedState(of backup: StoredBackup) throws -> BackupLocked?
    /// Deletes a backup: manifest first (the commit record), then data; a crash between the two
    /// leaves data that `removeLeftovers` removes. A store that locks what it writes against
    /// deletion throws `BackupLocked`, having deleted nothing, while the lock holds.
    func delete(_ backup: StoredBackup) throws
    /// Takes the per-database lock that keeps a backup, a prune and a cleanup apart.
    func lock(database: String) throws -> any StoreLock
    /// Checks that what is behind the store can do what the store is configured to do, and says
    /// what it found, a line each (default: nothing to check).
    func checkSettings() throws -> [String]
    /// Removes what interrupted runs of LiteSafe provably left behind (hidden temporaries, and
    /// data files an intent record names that never got or lost their manifest) and reports
    /// other data files without a manifest. Call with the lock held.
    func removeLeftovers(database: String) throws -> Leftovers
    /// The objects of `database`'s page store (`format: pages`): packs and keys beside its
    /// backups. Throws `PageStoreError` `.storeFailed` where the store keeps none (default).
    func pageObjects(database: String) throws -> any PageObjects
}

/// What a store knows of a backup's stored bytes without reading them.
public struct StoredFacts: Sendable, Equatable {
    /// The stored size in bytes.
    public var size: Int64
    /// The SHA-256 of the whole stored file (lowercase hex), when the store keeps one without
    /// reading it (an S3 object written in one PUT with `x-amz-checksum-sha256`); nil otherwise.
    public var sha256: String?

    public init(size: Int64, sha256: String? = nil) {
        self.size = size
        self.sha256 = sha256
    }
}

/// A held per-database lock; released on `release()` or deinit.
public protocol StoreLock: AnyObject {
    func release()
}

extension BackupStore {
    /// Whether `PendingBackup.commit` itself proves the stored bytes are the bytes written (an
    /// object store comparing the service's checksum with one computed before sending), so the
    /// engine need not read a new backup back. False unless a store says so.
    public var confirmsStoredBytes: Bool { false }
    public var pendingBufferBytes: Int { 0 }
    public var fillsReservedStart: Bool { false }
    public func lockedState(of backup: StoredBackup) throws -> BackupLocked? { nil }

    public func checkSettings() throws -> [String] { [] }

    public func pageObjects(database: String) throws -> any PageObjects {
        throw PageStoreError(.storeFailed, object: location(of: database), reason: "this store keeps no page store")
    }

    /// Every whole backup of `database`, newest first; damaged manifests are left out (use
    /// `listing(of:)` to report them).
    public func backups(of database: String) throws -> [StoredBackup] { try listing(of: database).backups }

    public func isTaken(stem: String, database: String) throws -> Bool {
        try backups(of: database).contains { $0.manifest.file.hasPrefix(stem + ".") }
    }
}

extension BackupStore {
    /// The backup a restore takes: the newest of `database`'s backups of `kind` (snapshots unless
    /// asked otherwise), or with `time` the newest taken at or before it; an error names the
    /// folder, or the oldest backup there is.
    ///
    /// A damaged manifest does not stop the choice among the others: each is passed to `damaged`
    /// (a restore warns about it).
    public func backup(
        of database: String, atOrBefore time: Date? = nil, kind: BackupKind = .snapshot,
        damaged: (DamagedManifest) -> Void = { _ in }
    ) throws -> StoredBackup {
        let listing = try listing(of: database)
        listing.damaged.forEach(damaged)
        let backups = listing.backups.filter { $0.manifest.backupKind == kind }
        guard let newest = backups.first, let oldest = backups.last else {
            throw BackupError.noBackups(database: database, folder: self.location(of: database), kind: kind)
        }
        guard let time else { return newest }
        guard let chosen = backups.first(where: { $0.manifest.created <= time }) else {
            throw BackupError.noBackupAtOrBefore(
                database: database, time: BackupName.iso8601(time), oldest: BackupName.iso8601(oldest.manifest.created),
                kind: kind)
        }
        return chosen
    }
}
