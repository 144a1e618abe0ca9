import Foundation
import LiteSafeCore
import Logging
import TestSupport
import Testing

/// One backup, many stores: the same bytes and manifest to each, and a failing store never
/// failing the others or leaving anything partial listed.
@Suite("Backup to several stores")
struct BackupFanOutTests {
    /// Where a `BrokenStore` fails.
    enum Breakage: CaseIterable, Sendable {
        case lock, begin, write, commit
    }

    struct Broken: Error, CustomStringConvertible {
        var description: String { "the store is broken (test)" }
    }

    /// An in-memory store that fails at one step; everything else is the real in-memory store's.
    final class BrokenStore: BackupStore, @unchecked Sendable {
        let inner: InMemoryStore
        let breakage: Breakage
        init(_ inner: InMemoryStore, failing breakage: Breakage) {
            self.inner = inner
            self.breakage = breakage
        }
        var location: String { inner.location }
        func location(of database: String) -> String { inner.location(of: database) }
        func databases() throws -> [String] { try inner.databases() }
        func listing(of database: String) throws -> StoreListing { try inner.listing(of: database) }
        func beginBackup(database: String, stem: String, dataExtension: String) throws -> any PendingBackup {
            if breakage == .begin { throw Broken() }
            let pending = try inner.beginBackup(database: database, stem: stem, dataExtension: dataExtension)
            return BrokenPending(inner: pending, breakage: breakage)
        }
        func read(_ backup: StoredBackup, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
            try inner.read(backup, body)
        }
        func storedFacts(of backup: StoredBackup) throws -> StoredFacts { try inner.storedFacts(of: backup) }
        func delete(_ backup: StoredBackup) throws { try inner.delete(backup) }
        func lock(database: String) throws -> any StoreLock {
            if breakage == .lock { throw Broken() }
            return try inner.lock(database: database)
        }
        func removeLeftovers(database: String) throws -> Leftovers { try inner.removeLeftovers(database: database) }
    }

    /// A pending backup that takes the first write and fails the next, or fails its commit.
    final class BrokenPending: PendingBackup {
        let inner: any PendingBackup
        let breakage: Breakage
        var writes = 0
        init(inner: any PendingBackup, breakage: Breakage) {
            self.inner = inner
            self.breakage = breakage
        }
        func write(_ bytes: UnsafeRawBufferPointer) throws {
            writes += 1
            if breakage == .write && writes > 1 { throw Broken() }
            try inner.write(bytes)
        }
        func commit(manifest: Manifest) throws -> StoredBackup {
            if breakage == .commit { throw Broken() }
            return try inner.commit(manifest: manifest)
        }
        func abandon() { inner.abandon() }
        var fileName: String { inner.fileName }
    }

    func job(_ h: Harness, targets: [BackupJob.Target]) -> BackupJob {
        var job = h.job(compression: .none)
        job.targets = targets
        return job
    }

    @Test("every store gets the same bytes and manifest, and each prunes by its own retention")
    func sameBackupEverywhere() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, rows: 300)
        let local = InMemoryStore(location: "local")
        let offsite = InMemoryStore(location: "offsite")
        let job = job(
            h,
            targets: [
                .init(name: "local", store: local, retention: RetentionPolicy(keepLast: 1)),
                .init(name: "offsite", store: offsite, retention: RetentionPolicy(keepLast: 3)),
            ])
        var results: [BackupResult] = []
        for _ in 0..<3 { results.append(try BackupEngine().backUp(job, logger: h.logger)) }
        let last = try #require(results.last)
        #expect(last.stores.map(\.store) == ["local", "offsite"])
        #expect(last.failedStores.isEmpty)
        let inLocal = try local.backups(of: "app")
        let inOffsite = try offsite.backups(of: "app")
        // keep_last 1 here, 3 there: the same backups, pruned apart.
        #expect(inLocal.map(\.id) == [last.backup.id])
        #expect(inOffsite.map(\.id) == results.reversed().map(\.backup.id))
        #expect(inLocal[0].manifest == inOffsite[0].manifest)
        var bytes: [[UInt8]] = []
        for (store, backup) in [(local, inLocal[0]), (offsite, inOffsite[0])] {
            var read: [UInt8] = []
            try store.read(backup) { read += $0 }
            bytes.append(read)
        }
        #expect(bytes[0] == bytes[1])
        #expect(Int64(bytes[0].count) == last.backup.manifest.storedSize)
    }

    @Test(
        "a store that fails does not fail the others, and nothing partial is listed in it", arguments: Breakage.allCases
    )
    func oneStoreFails(breakage: Breakage) throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, rows: 2_000)
        let good = InMemoryStore(location: "good")
        let brokenInner = InMemoryStore(location: "broken")
        let recorder = LogRecorder()
        let job = job(
            h,
            targets: [
                .init(name: "broken", store: BrokenStore(brokenInner, failing: breakage), retention: nil),
                .init(name: "good", store: good, retention: nil),
            ])
        let result = try BackupEngine().backUp(job, logger: recorder.logger)
        #expect(result.failedStores.map(\.store) == ["broken"])
        #expect(result.failedStores.first?.error is Broken)
        #expect(result.stores.first(where: \.succeeded)?.store == "good")
        #expect(try good.backups(of: "app").map(\.id) == [result.backup.id])
        #expect(try brokenInner.backups(of: "app").isEmpty)
        // Nothing of the failed backup is left in the failing store: no data without a manifest.
        #expect(brokenInner.names(in: "app").filter { !$0.hasPrefix(".") } == [])
        let failures = recorder.entries(.storeFailed)
        #expect(failures.count == 1)
        #expect(failures.first?.metadata[LogKey.store] == "broken")
        #expect(failures.first?.level == .error)
        #expect(recorder.entries(.backupCompleted).first?.message.contains("not to broken") == true)
        // A single-store job keeps no store field in its logs.
        #expect(recorder.entries(.backupCompleted).first?.metadata[LogKey.store] == nil)
    }

    @Test("when every store fails, the backup fails with the last store's error and nothing is listed")
    func allStoresFail() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, rows: 2_000)
        let first = InMemoryStore(location: "first")
        let second = InMemoryStore(location: "second")
        let job = job(
            h,
            targets: [
                .init(name: "first", store: BrokenStore(first, failing: .write)),
                .init(name: "second", store: BrokenStore(second, failing: .commit)),
            ])
        #expect(throws: Broken.self) { try BackupEngine().backUp(job, logger: h.logger) }
        #expect(try first.backups(of: "app").isEmpty)
        #expect(try second.backups(of: "app").isEmpty)
        #expect(first.names(in: "app").filter { !$0.hasPrefix(".") } == [])
        #expect(second.names(in: "app").filter { !$0.hasPrefix(".") } == [])
    }

    @Test("a failed check publishes nothing in any store, though every store took the bytes")
    func failedCheckPublishesNowhere() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, journalMode: "delete", rows: 300, rowBytes: 500)
        // Scribble over the middle of the table's b-tree pages, as BackupFaultTests does.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: h.source))
        try handle.seek(toOffset: 4096 * 3)
        try handle.write(contentsOf: Data((0..<8192).map { _ in UInt8.random(in: 0...255) }))
        try handle.close()
        let a = InMemoryStore(location: "a")
        let b = InMemoryStore(location: "b")
        let job = job(h, targets: [.init(name: "a", store: a), .init(name: "b", store: b)])
        #expect {
            try BackupEngine().backUp(job, logger: h.logger)
        } throws: { error in
            (error as? BackupError)?.code == .checkFailed
        }
        #expect(a.names(in: "app").filter { !$0.hasPrefix(".") } == [])
        #expect(b.names(in: "app").filter { !$0.hasPrefix(".") } == [])
    }

    @Test("a configured database's job goes to each of its stores with that store's retention")
    func configuredJob() throws {
        let database = Configuration.Database(
            name: "app", path: "/srv/app.db", store: .directory("/unused"), encryption: .none,
            retention: RetentionPolicy(keepLast: 3),
            stores: [
                .init(name: "local", location: .directory("/backups")),
                .init(
                    name: "offsite", location: .s3(S3Location(bucket: "b", region: "r")),
                    retention: RetentionPolicy(keepDaily: 30)),
            ])
        let factory = InMemoryStoreFactory()
        let job = Configuration(databases: [database], sourceFile: "test.yml").backupJob(for: database, stores: factory)
        #expect(job.targets.map(\.name) == ["local", "offsite"])
        #expect(job.targets.map(\.retention) == [RetentionPolicy(keepLast: 3), RetentionPolicy(keepDaily: 30)])
        #expect(job.targets.map(\.store.location) == ["/backups", "s3://b/"])
    }
}
