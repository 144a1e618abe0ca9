import Foundation
import LiteSafeCore
import Logging
import TestSupport
import Testing

/// A store that missed backups (down, full, or added later) is given those its retention
/// keeps, newest first, the same bytes and manifest as the other stores hold.
@Suite("Backup to several stores: catching up a store that missed backups")
struct StoreCatchUpTests {
    func job(_ h: Harness, targets: [BackupJob.Target]) -> BackupJob {
        var job = h.job(compression: .none)
        job.targets = targets
        return job
    }

    @Test("a store added later gets the older backups its retention keeps, newest first, and never one it pruned")
    func addedStoreCatchesUp() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, rows: 300)
        let local = InMemoryStore(location: "local")
        let offsite = InMemoryStore(location: "offsite")
        let alone = job(h, targets: [.init(name: "local", store: local, retention: RetentionPolicy(keepLast: 10))])
        var older: [StoredBackup] = []
        for _ in 0..<3 { older.append(try BackupEngine().backUp(alone, logger: h.logger).backup) }

        let recorder = LogRecorder()
        let both = job(
            h,
            targets: [
                .init(name: "local", store: local, retention: RetentionPolicy(keepLast: 10)),
                .init(name: "offsite", store: offsite, retention: RetentionPolicy(keepLast: 3)),
            ])
        let result = try BackupEngine().backUp(both, logger: recorder.logger)
        let offsiteOutcome = try #require(result.stores.last)
        // keep_last 3 there: the new backup and the two newest it missed, newest first.
        #expect(offsiteOutcome.caughtUp.map(\.id) == [older[2].id, older[1].id])
        #expect(offsiteOutcome.catchUpError == nil)
        #expect(result.stores.first?.caughtUp.isEmpty == true)
        let inOffsite = try offsite.backups(of: "app")
        #expect(Set(inOffsite.map(\.id)) == Set([result.backup.id, older[2].id, older[1].id]))
        for copied in inOffsite {
            let original = try #require(try local.backups(of: "app").first { $0.id == copied.id })
            #expect(copied.manifest == original.manifest)
            #expect(try StoreContract.readBack(copied, from: offsite) == StoreContract.readBack(original, from: local))
        }
        let logged = recorder.entries(.storeCaughtUp)
        #expect(
            logged.map { $0.metadata[LogKey.backup].map { "\($0)" } } == [
                older[2].manifest.file, older[1].manifest.file,
            ])
        #expect(logged.allSatisfy { $0.metadata[LogKey.store] == "offsite" })

        // The next backup pushes the oldest out of offsite; catching up does not bring it back.
        let next = try BackupEngine().backUp(both, logger: h.logger)
        #expect(next.stores.allSatisfy { $0.caughtUp.isEmpty })
        #expect(try offsite.backups(of: "app").count == 3)
        #expect(try local.backups(of: "app").count == 5)
    }

    @Test("a store that failed a backup is given it by a catch-up run, which takes no new backup")
    func retryRunCopiesWhatWasMissed() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, rows: 300)
        let local = InMemoryStore(location: "local")
        let offsite = InMemoryStore(location: "offsite")
        let broken = job(
            h,
            targets: [
                .init(name: "local", store: local),
                .init(name: "offsite", store: BackupFanOutTests.BrokenStore(offsite, failing: .begin)),
            ])
        let result = try BackupEngine().backUp(broken, logger: h.logger)
        #expect(result.failedStores.map(\.store) == ["offsite"])
        #expect(try offsite.backups(of: "app").isEmpty)

        let healed = job(h, targets: [.init(name: "local", store: local), .init(name: "offsite", store: offsite)])
        let outcomes = try BackupEngine().catchUp(healed, into: ["offsite"], logger: h.logger)
        #expect(outcomes.map(\.store) == ["local", "offsite"])
        #expect(outcomes[1].caughtUp.map(\.id) == [result.backup.id])
        #expect(outcomes.allSatisfy { $0.error == nil && $0.catchUpError == nil })
        #expect(try local.backups(of: "app").map(\.id) == [result.backup.id])
        #expect(try offsite.backups(of: "app").map(\.manifest) == [result.backup.manifest])
        // Run again: nothing left to copy.
        let again = try BackupEngine().catchUp(healed, into: ["offsite"], logger: h.logger)
        #expect(again[1].caughtUp.isEmpty)
    }

    @Test("a damaged copy is never spread: another store's good copy is used, or nothing is listed")
    func damagedCopyIsNotSpread() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, rows: 300)
        let damaged = InMemoryStore(location: "damaged")
        let good = InMemoryStore(location: "good")
        let empty = InMemoryStore(location: "empty")
        let backup = try BackupEngine().backUp(
            job(h, targets: [.init(name: "damaged", store: damaged), .init(name: "good", store: good)]),
            logger: h.logger
        ).backup
        var scribbled = try StoreContract.readBack(backup, from: damaged)
        scribbled[scribbled.count / 2] ^= 0xff
        damaged.put(scribbled, named: backup.manifest.file, in: "app")

        // Only the damaged copy to take from: the store gets nothing, and says why.
        let alone = try BackupEngine().catchUp(
            job(h, targets: [.init(name: "damaged", store: damaged), .init(name: "empty", store: empty)]),
            into: ["empty"], logger: h.logger)
        #expect((alone[1].catchUpError as? BackupError)?.code == .hashMismatch)
        #expect(alone[1].caughtUp.isEmpty)
        #expect(try empty.backups(of: "app").isEmpty)
        #expect(empty.names(in: "app").filter { !$0.hasPrefix(".") } == [])

        // With a good copy elsewhere, that one is copied.
        let outcomes = try BackupEngine().catchUp(
            job(
                h,
                targets: [
                    .init(name: "damaged", store: damaged), .init(name: "good", store: good),
                    .init(name: "empty", store: empty),
                ]),
            into: ["empty"], logger: h.logger)
        #expect(outcomes[2].catchUpError == nil)
        #expect(outcomes[2].caughtUp.map(\.id) == [backup.id])
        let copied = try #require(try empty.backups(of: "app").first)
        #expect(try StoreContract.readBack(copied, from: empty) == StoreContract.readBack(backup, from: good))
    }
}
