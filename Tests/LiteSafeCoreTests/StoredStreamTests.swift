import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

@Suite("StoredStream: zstd's job size follows the stores' memory")
struct StoredStreamTests {
    /// An in-memory store that says its pending backups hold `buffered` bytes, as S3's parts do.
    final class BufferingStore: BackupStore, @unchecked Sendable {
        let inner = InMemoryStore(location: "buffering")
        let buffered: Int
        init(buffered: Int) { self.buffered = buffered }
        var pendingBufferBytes: Int { buffered }
        var location: String { inner.location }
        func location(of database: String) -> String { inner.location(of: database) }
        func databases() throws -> [String] { try inner.databases() }
        func listing(of database: String) throws -> StoreListing { try inner.listing(of: database) }
        func beginBackup(database: String, stem: String, dataExtension: String) throws -> any PendingBackup {
            try inner.beginBackup(database: database, stem: stem, dataExtension: dataExtension)
        }
        func read(_ backup: StoredBackup, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
            try inner.read(backup, body)
        }
        func storedFacts(of backup: StoredBackup) throws -> StoredFacts { try inner.storedFacts(of: backup) }
        func delete(_ backup: StoredBackup) throws { try inner.delete(backup) }
        func lock(database: String) throws -> any StoreLock { try inner.lock(database: database) }
        func removeLeftovers(database: String) throws -> Leftovers { try inner.removeLeftovers(database: database) }
    }

    @Test("4 MiB jobs (output no larger than zstd -3's) unless a store holds parts in memory: then 1 MiB")
    func jobSize() throws {
        let h = try Harness().prepare()
        var job = h.job()
        #expect(StoredStream.jobSize(for: job) == 4 << 20)
        job.targets.append(.init(name: "offsite", store: BufferingStore(buffered: 18 << 20)))
        #expect(StoredStream.jobSize(for: job) == 1 << 20)
    }
}
