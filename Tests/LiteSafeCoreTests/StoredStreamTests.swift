import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

@Suite("StoredStream: zstd's job size follows the stores' memory")
struct StoredStreamTests {
    /// An in-memory store that says its pending backups hold `buffered` bytes, as S3's parts do.
    /// A store that holds parts in memory while they upload, as the S3 store does.
    struct BufferingStore: ForwardingStore {
        let base = InMemoryStore(location: "buffering")
        let buffered: Int
        var pendingBufferBytes: Int { buffered }
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
