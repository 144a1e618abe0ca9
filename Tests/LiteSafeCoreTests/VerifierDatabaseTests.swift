import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

@Suite("Verifier: a database's backups for the daemon")
struct VerifierDatabaseTests {
    /// A directory store whose reads first let a prune delete the backup being read.
    struct PruningStore: BackupStore {
        let inner: DirectoryStore
        var location: String { inner.location }
        func location(of database: String) -> String { inner.location(of: database) }
        func databases() throws -> [String] { try inner.databases() }
        func listing(of database: String) throws -> StoreListing { try inner.listing(of: database) }
        func beginBackup(database: String, stem: String, dataExtension: String) throws -> any PendingBackup {
            try inner.beginBackup(database: database, stem: stem, dataExtension: dataExtension)
        }
        func read(_ backup: StoredBackup, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
            try inner.delete(backup)
            try inner.read(backup, body)
        }
        func storedFacts(of backup: StoredBackup) throws -> StoredFacts { try inner.storedFacts(of: backup) }
        func delete(_ backup: StoredBackup) throws { try inner.delete(backup) }
        func lock(database: String) throws -> any StoreLock { try inner.lock(database: database) }
        func removeLeftovers(database: String) throws -> Leftovers {
            try inner.removeLeftovers(database: database)
        }
    }

    @Test("a damaged manifest fails the database, naming it, and every whole backup is still checked")
    func damagedManifest() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        let older = try h.backUp().backup
        try h.backUp()
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: older.manifestLocation))
        let report = try Verifier().verifyBackups(
            of: "app", in: h.store, identities: nil, scratch: h.folder.path, cancellation: Cancellation(),
            logger: h.logger)
        #expect((report.checked, report.failed, report.ok) == (2, 1, false))
        #expect(report.reason?.contains(older.manifestLocation) == true)
        // What `litesafe verify` reports: one result per backup, the damaged manifest among them.
        let results = Verifier().verify("app", in: h.store, identities: nil, scratch: h.folder.path, logger: h.logger)
        #expect(results.map(\.passed) == [true, false])
        guard case .failed(let error)? = results.last?.outcome else { return }
        #expect("\(error)".contains(older.manifestLocation))
    }

    @Test("a flipped bit fails the database, naming the file; the others count as checked")
    func flippedBit() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        try h.backUp()
        let damaged = try h.backUp().backup
        try VerifierTests.flipBit(in: damaged.dataLocation)
        let report = try Verifier().verifyBackups(
            of: "app", in: h.store, identities: nil, scratch: h.folder.path, cancellation: Cancellation(),
            logger: h.logger)
        #expect((report.checked, report.failed, report.ok) == (2, 1, false))
        #expect(report.reason?.contains(damaged.dataLocation) == true)
    }

    @Test("no backups yet is nothing to check, not a failure")
    func noBackups() throws {
        let h = try Harness().prepare()
        let report = try Verifier().verifyBackups(
            of: "app", in: h.store, identities: nil, scratch: h.folder.path, cancellation: Cancellation(),
            logger: h.logger)
        #expect((report.checked, report.ok) == (0, true))
    }

    @Test("a backup pruned while it was read is left out, not reported as damaged")
    func prunedMeanwhile() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        try h.backUp()
        let report = try Verifier().verifyBackups(
            of: "app", in: PruningStore(inner: h.store), identities: nil, scratch: h.folder.path,
            cancellation: Cancellation(), logger: h.logger)
        #expect((report.checked, report.failed, report.ok) == (0, 0, true))
    }

    @Test("a restore test with the right identity passes; a cancelled run throws cancelled")
    func restoreTestAndCancel() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        try h.backUp()
        let report = try Verifier().verifyBackups(
            of: "app", in: h.store, identities: [h.identity], scratch: h.folder.path, cancellation: Cancellation(),
            logger: h.logger)
        #expect((report.kind, report.checked, report.ok) == (.restoreTest, 1, true))
        let cancelled = Cancellation()
        cancelled.cancel()
        #expect(throws: BackupError.self) {
            try Verifier().verifyBackups(
                of: "app", in: h.store, identities: nil, scratch: h.folder.path, cancellation: cancelled,
                logger: h.logger)
        }
    }
}
