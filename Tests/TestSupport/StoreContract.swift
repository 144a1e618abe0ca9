import Foundation
import LiteSafeCore

/// A store under the contract, with the ways to put it in the states only a crash or a
/// stranger leaves.
public protocol StoreContractSubject: AnyObject, Sendable {
    /// The store, empty at first.
    var store: any BackupStore { get }
    /// Another store over the same location, as a second process would have.
    func sameLocation() -> any BackupStore
    /// Replaces the bytes of a published backup's manifest.
    func overwriteManifest(of backup: StoredBackup, with bytes: [UInt8]) throws
    /// Leaves a data file without a manifest: with an intent record (`interrupted`) as a run
    /// of LiteSafe cut short between data and manifest leaves it; without, as a file copied in
    /// by hand.
    func leaveData(_ bytes: [UInt8], named name: String, database: String, interrupted: Bool) throws
    /// Removes a backup's manifest only, with the intent record a delete writes first: a
    /// delete cut short between its two steps.
    func interruptDelete(of backup: StoredBackup) throws
}

/// The directory store in a private temporary folder, removed with the subject.
public final class DirectoryStoreSubject: StoreContractSubject {
    public let root: String
    public let store: any BackupStore

    public init() throws {
        // mkdtemp makes it 0700, as the store's trust check wants.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("litesafe-contract.XXXXXX").path
        var template = Array(path.utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        root = String(cString: made)
        store = StandardStoreFactory().makeStore(at: .directory(root))
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    public func sameLocation() -> any BackupStore { StandardStoreFactory().makeStore(at: .directory(root)) }

    public func overwriteManifest(of backup: StoredBackup, with bytes: [UInt8]) throws {
        try Data(bytes).write(
            to: URL(fileURLWithPath: path(backup.id.database, backup.id.stem + BackupName.manifestSuffix)))
    }

    public func leaveData(_ bytes: [UInt8], named name: String, database: String, interrupted: Bool) throws {
        try FileManager.default.createDirectory(atPath: path(database), withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path(database, name)))
        if interrupted, let stem = BackupName.stem(ofDataFile: name) {
            try Data().write(to: URL(fileURLWithPath: path(database, DirectoryStore.intentPrefix + stem)))
        }
    }

    public func interruptDelete(of backup: StoredBackup) throws {
        let (database, stem) = (backup.id.database, backup.id.stem)
        try Data().write(to: URL(fileURLWithPath: path(database, DirectoryStore.intentPrefix + stem)))
        try FileManager.default.removeItem(atPath: path(database, stem + BackupName.manifestSuffix))
    }

    private func path(_ database: String, _ name: String? = nil) -> String {
        root + "/" + database + (name.map { "/" + $0 } ?? "")
    }
}

/// The in-memory store.
public final class InMemoryStoreSubject: StoreContractSubject {
    let memory = InMemoryStore()
    public var store: any BackupStore { memory }

    public init() {}

    public func sameLocation() -> any BackupStore { InMemoryStore(sharing: memory) }

    public func overwriteManifest(of backup: StoredBackup, with bytes: [UInt8]) throws {
        memory.put(bytes, named: backup.id.stem + BackupName.manifestSuffix, in: backup.id.database)
    }

    public func leaveData(_ bytes: [UInt8], named name: String, database: String, interrupted: Bool) throws {
        memory.put(bytes, named: name, in: database)
        if interrupted, let stem = BackupName.stem(ofDataFile: name) {
            memory.put([], named: InMemoryStore.intentPrefix + stem, in: database)
        }
    }

    public func interruptDelete(of backup: StoredBackup) throws {
        memory.put([], named: InMemoryStore.intentPrefix + backup.id.stem, in: backup.id.database)
        memory.remove(backup.id.stem + BackupName.manifestSuffix, in: backup.id.database)
    }
}

/// What every `BackupStore` promises, as checks over a fresh subject: each throws a
/// `StoreContract.Violation` naming the broken promise.
///
/// `StoreContractTests` runs every check against every store LiteSafe has.
public enum StoreContract {
    public struct Violation: Error, CustomStringConvertible {
        public let description: String
    }

    /// A check and its name, for parameterised tests.
    public struct Check: Sendable, CustomStringConvertible {
        public let description: String
        public let run: @Sendable (any StoreContractSubject) throws -> Void
    }

    public static let checks: [Check] = [
        Check(description: "publish, list and read back", run: publishListAndReadBack),
        Check(description: "newest first, stems unique", run: newestFirstAndNamesTaken),
        Check(description: "nothing visible before commit or after abandon", run: nothingBeforeCommit),
        Check(description: "delete removes the manifest first", run: deleteManifestFirst),
        Check(description: "leftovers: ours removed, strangers' kept", run: leftovers),
        Check(description: "a crash between data and manifest", run: crashBetweenDataAndManifest),
        Check(description: "one lock holder at a time", run: concurrentLock),
        Check(description: "damaged manifests are reported and left alone", run: damagedManifest),
        Check(description: "dumps beside snapshots: listed, chosen only when asked, cleaned up", run: dumps),
        Check(description: "stored facts: the size, and the SHA-256 where kept, without reading", run: storedFacts),
        Check(description: "a reserved start filled last, read back before commit", run: reservedStart),
    ]

    /// The database the checks back up.
    public static let database = "app"

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw Violation(description: message()) }
    }

    /// A manifest for a backup of `database` taken at `created`, its data file named after `stem`.
    public static func manifest(
        database: String = database, created: Date, file: String, bytes: [UInt8], kind: BackupKind = .snapshot
    ) throws -> Manifest {
        var json: [String: Any] = [
            "format": Manifest.currentFormat, "database": database, "source_path": "/data/\(database).db",
            "created": BackupName.iso8601(created), "file": file, "sqlite_version": "3.40.1", "page_size": 4096,
            "page_count": 1, "wal_mode": true, "plaintext_size": 4096, "plaintext_sha256": "",
            "stored_size": bytes.count, "stored_sha256": "", "compression": "none",
            "encryption": "none", "recipients": [String](), "check": "quick_check ok", "litesafe_version": "test",
        ]
        if kind == .dump { json["kind"] = "dump" }
        return try Manifest.decode(Array(JSONSerialization.data(withJSONObject: json)), path: "test manifest")
    }

    /// Publishes a backup of `bytes` taken at `created` (seconds after 2026-11-26T12:00:00Z).
    @discardableResult
    public static func publish(
        _ bytes: [UInt8], at seconds: TimeInterval, in store: any BackupStore, database: String = database,
        kind: BackupKind = .snapshot
    ) throws -> StoredBackup {
        let created = Date(timeIntervalSince1970: 1_795_694_400 + seconds)
        let stem = BackupName.stem(database: database, date: created)
        let pending = try store.beginBackup(
            database: database, stem: stem, dataExtension: kind == .dump ? ".sql.zst.age" : ".sqlite")
        // In two writes: a store must append, not replace.
        let half = bytes.count / 2
        try bytes[..<half].withUnsafeBytes { try pending.write($0) }
        try bytes[half...].withUnsafeBytes { try pending.write($0) }
        return try pending.commit(
            manifest: manifest(database: database, created: created, file: pending.fileName, bytes: bytes, kind: kind))
    }

    public static func readBack(_ backup: StoredBackup, from store: any BackupStore) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try store.read(backup) { bytes += $0 }
        return bytes
    }

    static func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }

    // MARK: The checks

    static func publishListAndReadBack(_ subject: any StoreContractSubject) throws {
        let store = subject.store
        try expect(try store.listing(of: database) == StoreListing(), "an empty store lists backups")
        let bytes = randomBytes(5_000)
        let backup = try publish(bytes, at: 0, in: store)
        try expect(backup.id.database == database, "the published backup's id names \(backup.id.database)")
        try expect(try store.listing(of: database) == StoreListing(backups: [backup]), "the listing is not the backup")
        try expect(try subject.sameLocation().backups(of: database) == [backup], "another store does not see it")
        let databases = try store.databases()
        try expect(databases == [database], "databases() is \(databases)")
        try expect(try readBack(backup, from: store) == bytes, "the bytes read back differ")
        try expect(try store.listing(of: "other") == StoreListing(), "a database without backups lists some")
        try expect(try store.backup(of: database) == backup, "the newest backup is not the one published")
    }

    static func storedFacts(_ subject: any StoreContractSubject) throws {
        let store = subject.store
        // 5,000 × "a", whose SHA-256 is known (this target links no hash library).
        let bytes = [UInt8](repeating: 0x61, count: 5_000)
        let sha256 = "c526c6222044dab5674de9c4ac7f4566ebb5e4d8bf9d8ea34c9cc8a7cc3c869c"
        let backup = try publish(bytes, at: 0, in: store)
        let facts = try store.storedFacts(of: backup)
        try expect(facts.size == 5_000, "the stored size is \(facts.size), not 5000")
        try expect(facts.sha256 == nil || facts.sha256 == sha256, "the stored SHA-256 is \(facts.sha256 ?? "")")
        try store.delete(backup)
        try expect((try? store.storedFacts(of: backup)) == nil, "a deleted backup still has stored facts")
    }

    static func reservedStart(_ subject: any StoreContractSubject) throws {
        let store = subject.store
        // A store that cannot (an object store uploading as it goes) says so, and is never asked.
        guard store.fillsReservedStart else { return }
        let bytes = randomBytes(3 << 20)
        let stem = BackupName.stem(database: database, date: Date(timeIntervalSince1970: 1_795_694_400))
        let pending = try store.beginBackup(database: database, stem: stem, dataExtension: ".sqlite")
        defer { pending.abandon() }
        let zeros = [UInt8](repeating: 0, count: 70_000)
        try zeros.withUnsafeBytes { try pending.write($0) }
        try bytes[70_000...].withUnsafeBytes { try pending.write($0) }
        // Filled after the rest, and the append position does not move.
        try bytes[100..<70_000].withUnsafeBytes { try pending.overwrite($0, at: 100) }
        try bytes[..<100].withUnsafeBytes { try pending.overwrite($0, at: 0) }
        var read: [UInt8] = []
        try pending.readBack { read += $0 }
        try expect(read == bytes, "the bytes read back before commit are not those written and filled in")
        let backup = try pending.commit(
            manifest: try manifest(
                created: Date(timeIntervalSince1970: 1_795_694_400), file: pending.fileName, bytes: bytes))
        try expect(try readBack(backup, from: store) == bytes, "the committed bytes are not those filled in")
    }

    static func newestFirstAndNamesTaken(_ subject: any StoreContractSubject) throws {
        let store = subject.store
        let middle = try publish(randomBytes(10), at: 60, in: store)
        let oldest = try publish(randomBytes(10), at: 0, in: store)
        let newest = try publish(randomBytes(10), at: 120, in: store)
        try expect(try store.backups(of: database) == [newest, middle, oldest], "not newest first")
        try expect(try store.isTaken(stem: middle.id.stem, database: database), "a published stem is not taken")
        try expect(!(try store.isTaken(stem: middle.id.stem + "_1", database: database)), "a free stem is taken")
        // Publishing under a taken name fails and harms nothing.
        let again = try store.beginBackup(database: database, stem: middle.id.stem, dataExtension: ".sqlite")
        try [UInt8]([1, 2, 3]).withUnsafeBytes { try again.write($0) }
        let failed = (try? again.commit(manifest: middle.manifest)) == nil
        again.abandon()
        try expect(failed, "a second backup under a taken name was published")
        try expect(try store.backups(of: database) == [newest, middle, oldest], "a failed publish changed the store")
        try expect(try readBack(middle, from: store).count == 10, "a failed publish changed the data")
    }

    static func nothingBeforeCommit(_ subject: any StoreContractSubject) throws {
        let store = subject.store
        let stem = BackupName.stem(database: database, date: Date(timeIntervalSince1970: 1_795_694_400))
        let pending = try store.beginBackup(database: database, stem: stem, dataExtension: ".sqlite")
        try randomBytes(100).withUnsafeBytes { try pending.write($0) }
        try expect(try store.backups(of: database).isEmpty, "a backup is listed before its commit")
        pending.abandon()
        try expect(try store.backups(of: database).isEmpty, "an abandoned backup is listed")
        try expect(!(try store.isTaken(stem: stem, database: database)), "an abandoned backup's name is taken")
        let lock = try store.lock(database: database)
        defer { lock.release() }
        let leftovers = try store.removeLeftovers(database: database)
        try expect(leftovers.kept.isEmpty, "an abandoned backup left a data file: \(leftovers.kept)")
    }

    static func deleteManifestFirst(_ subject: any StoreContractSubject) throws {
        let store = subject.store
        let kept = try publish(randomBytes(10), at: 0, in: store)
        let deleted = try publish(randomBytes(10), at: 60, in: store)
        try store.delete(deleted)
        try expect(try store.backups(of: database) == [kept], "a deleted backup is still listed")
        try expect(!(try store.isTaken(stem: deleted.id.stem, database: database)), "a deleted backup left files")
        // Cut short after its manifest: no longer a backup, and its data is ours to remove.
        let cut = try publish(randomBytes(10), at: 120, in: store)
        try subject.interruptDelete(of: cut)
        try expect(try store.listing(of: database) == StoreListing(backups: [kept]), "a half-deleted backup is listed")
        let lock = try store.lock(database: database)
        defer { lock.release() }
        let leftovers = try store.removeLeftovers(database: database)
        try expect(leftovers.removed.count == 1 && leftovers.kept.isEmpty, "the half-deleted data: \(leftovers)")
        try expect(!(try store.isTaken(stem: cut.id.stem, database: database)), "the half-deleted data is still there")
        // A backup whose manifest names another's data file deletes nothing.
        let forged = StoredBackup(
            id: BackupID(database: database, stem: cut.id.stem), manifest: kept.manifest,
            dataLocation: kept.dataLocation, manifestLocation: kept.manifestLocation)
        try expect((try? store.delete(forged)) == nil, "a forged backup was deleted")
        try expect(try store.backups(of: database) == [kept], "a forged delete removed \(kept.id)")
    }

    static func leftovers(_ subject: any StoreContractSubject) throws {
        let store = subject.store
        let backup = try publish(randomBytes(10), at: 0, in: store)
        let stranger = BackupName.stem(database: database, date: Date(timeIntervalSince1970: 1_795_694_460)) + ".sqlite"
        try subject.leaveData(randomBytes(10), named: stranger, database: database, interrupted: false)
        let lock = try store.lock(database: database)
        defer { lock.release() }
        for _ in 0..<2 {
            let leftovers = try store.removeLeftovers(database: database)
            try expect(leftovers.removed.isEmpty, "a stranger's file was removed: \(leftovers.removed)")
            try expect(
                leftovers.kept.count == 1 && leftovers.kept[0].hasSuffix(stranger), "not reported: \(leftovers.kept)")
        }
        try expect(try store.backups(of: database) == [backup], "a cleanup changed the backups")
    }

    static func crashBetweenDataAndManifest(_ subject: any StoreContractSubject) throws {
        let store = subject.store
        let backup = try publish(randomBytes(10), at: 0, in: store)
        let stem = BackupName.stem(database: database, date: Date(timeIntervalSince1970: 1_795_694_460))
        try subject.leaveData(randomBytes(10), named: stem + ".sqlite", database: database, interrupted: true)
        try expect(try store.backups(of: database) == [backup], "data without a manifest is listed")
        try expect(try store.isTaken(stem: stem, database: database), "the interrupted run's name is free")
        let lock = try store.lock(database: database)
        defer { lock.release() }
        let leftovers = try store.removeLeftovers(database: database)
        try expect(
            leftovers.removed.count == 1 && leftovers.removed[0].hasSuffix(stem + ".sqlite") && leftovers.kept.isEmpty,
            "the interrupted run's data: \(leftovers)")
        try expect(!(try store.isTaken(stem: stem, database: database)), "the interrupted run's data is still there")
        try expect(try readBack(backup, from: store).count == 10, "a cleanup harmed a backup")
    }

    static func dumps(_ subject: any StoreContractSubject) throws {
        let store = subject.store
        let snapshot = try publish(randomBytes(10), at: 0, in: store)
        let bytes = randomBytes(3_000)
        let dump = try publish(bytes, at: 60, in: store, kind: .dump)
        try expect(dump.manifest.file.hasSuffix(".sql.zst.age") && dump.manifest.isDump, "the dump is \(dump)")
        try expect(
            try store.listing(of: database) == StoreListing(backups: [dump, snapshot]),
            "a dump is not listed beside the snapshot: \((try? store.listing(of: database)).map { "\($0)" } ?? "?")")
        try expect(try readBack(dump, from: store) == bytes, "the dump's bytes read back differ")
        try expect(try store.backup(of: database) == snapshot, "a restore without --dump would take the newer dump")
        try expect(try store.backup(of: database, kind: .dump) == dump, "the newest dump is not chosen when asked")
        // An interrupted dump's data file is the run's own, and removed like a snapshot's.
        let stem = BackupName.stem(database: database, date: Date(timeIntervalSince1970: 1_795_694_520))
        try subject.leaveData(randomBytes(10), named: stem + ".sql.zst.age", database: database, interrupted: true)
        try expect(try store.backups(of: database) == [dump, snapshot], "a dump without a manifest is listed")
        let lock = try store.lock(database: database)
        let leftovers = try store.removeLeftovers(database: database)
        lock.release()
        try expect(
            leftovers.removed.count == 1 && leftovers.removed[0].hasSuffix(stem + ".sql.zst.age"),
            "the interrupted dump's data: \(leftovers)")
        try store.delete(dump)
        try expect(
            try store.backups(of: database) == [snapshot],
            "deleting the dump left \((try? store.backups(of: database)) ?? [])")
    }

    static func concurrentLock(_ subject: any StoreContractSubject) throws {
        let first = try subject.store.lock(database: database)
        let other = subject.sameLocation()
        do {
            _ = try other.lock(database: database)
            throw Violation(description: "a second lock was taken while the first was held")
        } catch let error as BackupError where error.code == .alreadyRunning {
            try expect(error.database == database, "the busy lock names \(error.database ?? "nothing")")
        }
        // Another database's lock is its own.
        try other.lock(database: "other").release()
        first.release()
        // Racing takers: exactly one wins while nobody releases.
        let winners = Winners()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            if let lock = try? subject.sameLocation().lock(database: database) { winners.add(lock) }
        }
        try expect(winners.count == 1, "\(winners.count) racing takers got the lock")
        winners.releaseAll()
        try subject.store.lock(database: database).release()
    }

    static func damagedManifest(_ subject: any StoreContractSubject) throws {
        let store = subject.store
        let good = try publish(randomBytes(10), at: 0, in: store)
        let damaged = try publish(randomBytes(10), at: 60, in: store)
        try subject.overwriteManifest(of: damaged, with: Array("{ not json".utf8))
        let listing = try store.listing(of: database)
        try expect(listing.backups == [good], "a damaged manifest's backup is listed")
        try expect(
            listing.damaged.map(\.location) == [damaged.manifestLocation], "damaged: \(listing.damaged.map(\.location))"
        )
        let lock = try store.lock(database: database)
        defer { lock.release() }
        let leftovers = try store.removeLeftovers(database: database)
        try expect(leftovers.removed.isEmpty && leftovers.kept.isEmpty, "a damaged backup's data: \(leftovers)")
        try expect(try store.listing(of: database).damaged.count == 1, "a cleanup removed the damaged manifest")
        try expect(try store.backup(of: database) == good, "a restore would not take the good backup")
    }

    /// The locks racing takers got.
    final class Winners: @unchecked Sendable {
        private let mutex = NSLock()
        private var locks: [any StoreLock] = []
        func add(_ lock: any StoreLock) { mutex.withLock { locks.append(lock) } }
        var count: Int { mutex.withLock { locks.count } }
        func releaseAll() { mutex.withLock { for lock in locks { lock.release() } } }
    }
}
