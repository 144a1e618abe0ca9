import Foundation
import LiteSafeCore
import Logging
import TestSupport
import Testing

@Suite("Pruner with a real directory store")
struct PrunerTests {
    typealias F = RetentionFixture

    /// A store folder holding backups written through the store's own durable path.
    final class World {
        let folder: TemporaryDirectory
        let store: DirectoryStore
        let logs = LogRecorder()

        init() throws {
            folder = try TemporaryDirectory("litesafe-prune")
            store = DirectoryStore(root: folder.path)
        }

        /// Commits a backup created at `created` with some random bytes; returns it.
        @discardableResult
        func add(_ created: String, check: String = "quick_check ok") throws -> StoredBackup {
            let template = F.backup(created, check: check)
            let stem = BackupName.stem(database: "app", date: template.manifest.created)
            let pending = try store.beginBackup(database: "app", stem: stem, dataExtension: ".sqlite.zst.age")
            let bytes = (0..<512).map { _ in UInt8.random(in: 0...255) }
            try bytes.withUnsafeBytes { try pending.write($0) }
            var manifest = template.manifest
            manifest.file = pending.fileName
            manifest.storedSize = Int64(bytes.count)
            manifest.storedSHA256 = try Fixtures.sha256OfBytes(bytes)
            return try pending.commit(manifest: manifest)
        }

        /// Every file in the database's folder except the lock.
        func files() throws -> Set<String> {
            Set(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/app").filter { $0 != ".lock" })
        }
    }

    @Test("deletes the data and manifest of every backup the policy drops, and logs each")
    func deletesFilesAndManifests() throws {
        let w = try World()
        let kept = try ["2026-11-26T12:00:00Z", "2026-11-25T12:00:00Z"].map { try w.add($0) }
        let dropped = try ["2026-11-24T12:00:00Z", "2026-11-23T12:00:00Z", "2026-11-22T12:00:00Z"].map { try w.add($0) }
        let decisions = try Pruner(now: { F.date("2026-11-26T13:00:00Z") }).prune(
            "app", in: w.store, policy: RetentionPolicy(keepLast: 2), timeZone: F.utc, logger: w.logs.logger)
        #expect(decisions.map(\.isKept) == [true, true, false, false, false])
        #expect(
            try w.files()
                == Set(
                    kept.flatMap {
                        [FileSystem.basename(of: $0.dataLocation), FileSystem.basename(of: $0.manifestLocation)]
                    }))
        #expect(try w.store.backups(of: "app") == kept)
        let pruned = w.logs.entries.filter { $0.metadata[LogKey.messageID] == .string(Event.pruned.messageID) }
        #expect(pruned.map { $0.metadata[LogKey.backup] } == dropped.reversed().map { .string($0.manifest.file) })
        #expect(pruned.allSatisfy { $0.metadata[LogKey.database] == "app" && $0.level == .info })
    }

    @Test("refuses to run while a backup or another prune holds the lock, and deletes nothing")
    func lockHeld() throws {
        let w = try World()
        for day in 20...26 { try w.add("2026-11-\(day)T12:00:00Z") }
        let before = try w.files()
        let lock = try w.store.lock(database: "app")
        #expect {
            try Pruner().prune(
                "app", in: w.store, policy: RetentionPolicy(keepLast: 1), timeZone: F.utc, logger: w.logs.logger)
        } throws: { error in
            guard let error = error as? BackupError, error.code == .alreadyRunning else { return false }
            return error.database == "app" && error.location == w.folder.path + "/app/.lock"
        }
        #expect(try w.files() == before)
        // The holder can prune under the lock it already has.
        try Pruner().prune(
            "app", in: w.store, policy: RetentionPolicy(keepLast: 1), timeZone: F.utc, holding: lock,
            logger: w.logs.logger)
        #expect(try w.store.backups(of: "app").count == 1)
        lock.release()
    }

    @Test("removes the data file an interrupted prune left without its manifest")
    func removesLeftovers() throws {
        let w = try World()
        try w.add("2026-11-26T12:00:00Z")
        let orphan = try w.add("2026-11-25T12:00:00Z")
        // What a prune killed between its two removals leaves: the intent record, the data file.
        let stem = String(FileSystem.basename(of: orphan.manifestLocation).dropLast(BackupName.manifestSuffix.count))
        let intent = FileSystem.parent(of: orphan.manifestLocation) + "/" + DirectoryStore.intentPrefix + stem
        #expect(FileManager.default.createFile(atPath: intent, contents: nil))
        try FileSystem.remove(orphan.manifestLocation)
        #expect(try w.store.backups(of: "app").count == 1)
        try Pruner().prune(
            "app", in: w.store, policy: RetentionPolicy(keepLast: 5), timeZone: F.utc, logger: w.logs.logger)
        #expect(!FileSystem.exists(orphan.dataLocation))
        #expect(
            w.logs.entries.contains {
                $0.metadata[LogKey.messageID] == .string(Event.leftoverRemoved.messageID)
                    && $0.metadata[LogKey.path] == .string(orphan.dataLocation)
            })
    }

    @Test("keeps, and reports, a data file without a manifest that no interrupted run left")
    func keepsForeignOrphans() throws {
        let w = try World()
        try w.add("2026-11-26T12:00:00Z")
        let moved = try w.add("2026-11-25T12:00:00Z")
        try FileSystem.remove(moved.manifestLocation)
        try Pruner().prune(
            "app", in: w.store, policy: RetentionPolicy(keepLast: 5), timeZone: F.utc, logger: w.logs.logger)
        #expect(FileSystem.exists(moved.dataLocation))
        #expect(
            w.logs.entries.contains {
                $0.level == .warning && $0.metadata[LogKey.path] == .string(moved.dataLocation)
                    && "\($0.message)".contains("it was kept")
            })
    }

    @Test("never deletes what a crafted manifest names outside its own backup, nor a backup whose manifest is damaged")
    func craftedManifests() throws {
        let w = try World()
        let newest = try w.add("2026-11-26T12:00:00Z")
        let crafted = try w.add("2026-11-25T12:00:00Z")
        let damaged = try w.add("2026-11-24T12:00:00Z")
        let folder = FileSystem.parent(of: newest.manifestLocation)
        // The crafted manifest names the newest backup's data file, and the lock file.
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: crafted.manifestLocation)))
                as? [String: Any])
        for target in [newest.manifest.file, ".lock"] {
            object["file"] = target
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: crafted.manifestLocation))
            try Data("{ not json".utf8).write(to: URL(fileURLWithPath: damaged.manifestLocation))
            let listing = try w.store.listing(of: "app")
            #expect(listing.backups == [newest])
            #expect(listing.damaged.map(\.location) == [damaged.manifestLocation, crafted.manifestLocation])
            try Pruner().prune(
                "app", in: w.store, policy: RetentionPolicy(keepLast: 1), timeZone: F.utc, logger: w.logs.logger)
            for path in [newest.dataLocation, crafted.dataLocation, damaged.dataLocation, folder + "/.lock"] {
                #expect(FileSystem.exists(path), "\(path) was deleted")
            }
            // Even handed to the store directly, it deletes nothing that is not the manifest's own.
            let forged = StoredBackup(
                id: crafted.id, manifest: newest.manifest, dataLocation: newest.dataLocation,
                manifestLocation: crafted.manifestLocation
            )
            #expect(throws: BackupError.self) { try w.store.delete(forged) }
            #expect(FileSystem.exists(newest.dataLocation))
        }
    }

    @Test("a dry run plans without the lock and deletes nothing")
    func dryRun() throws {
        let w = try World()
        for day in 20...26 { try w.add("2026-11-\(day)T12:00:00Z") }
        let before = try w.files()
        let lock = try w.store.lock(database: "app")
        defer { lock.release() }
        let plan = try Pruner().plan("app", in: w.store, policy: RetentionPolicy(keepLast: 2), timeZone: F.utc)
        #expect(plan.filter(\.isKept).count == 2)
        #expect(try w.files() == before)
    }

    @Test("each backup prunes by the job's retention, under its own lock")
    func pruneAfterBackup() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        var job = h.job()
        job.retention = RetentionPolicy(keepLast: 2)
        var engine = BackupEngine()
        var results: [BackupResult] = []
        for day in 21...24 {
            engine.now = { F.date("2026-11-\(day)T12:00:00Z") }
            results.append(try engine.backUp(job, logger: h.logger))
        }
        let remaining = try h.store.backups(of: "app")
        #expect(remaining.map(\.manifest.file) == results.suffix(2).reversed().map(\.backup.manifest.file))
        #expect(results.last?.retention.map(\.isKept) == [true, true, false])
        #expect(results.allSatisfy { $0.pruneError == nil })
        #expect(try h.filesLeft().count == 4)
    }

    @Test("a prune that fails after a good backup is logged, and the backup still succeeds")
    func pruneFailureKeepsTheBackup() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        let logs = LogRecorder()
        var job = h.job()
        job.store = UndeletableStore(base: h.store)
        job.retention = RetentionPolicy(keepLast: 1)
        try h.backUp(job)
        let result = try BackupEngine().backUp(job, logger: logs.logger)
        #expect(result.pruneError != nil)
        #expect(try h.store.backups(of: "app").count == 2)
        let failure = try #require(logs.entries.first { $0.level == .error })
        #expect(failure.metadata[LogKey.messageID] == .string(Event.pruneFailed.messageID))
        #expect(failure.message.contains("the backup was published"))
        #expect(failure.metadata[LogKey.error] != nil)
    }

    @Test("a configured database's job carries its retention and the time zone")
    func configuredJobPrunes() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let policy = RetentionPolicy(keepLast: 4, keepDaily: 7)
        let database = DatabaseConfiguration(
            name: "app", path: "/data/app.db", store: .directory("/backups"), encryption: .none, retention: policy)
        let job = Configuration(timeZone: berlin, databases: [database], sourceFile: "test.yml").backupJob(
            for: database, stores: StandardStoreFactory())
        #expect(job.store.location(of: "app") == "/backups/app")
        #expect(job.retention == policy)
        #expect(job.timeZone == berlin)
    }
}

/// A directory store whose deletes fail, as on a folder that turned read-only.
struct UndeletableStore: ForwardingStore {
    let base: DirectoryStore
    func delete(_ backup: StoredBackup) throws {
        throw FileSystemError("remove", path: backup.manifestLocation, errno: EROFS)
    }
}

extension Fixtures {
    /// Lower-case hex SHA-256 of bytes in memory.
    static func sha256OfBytes(_ bytes: [UInt8]) throws -> String {
        let file = try TemporaryDirectory("litesafe-hash")
        let path = file.path + "/bytes"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return try sha256(path)
    }
}
