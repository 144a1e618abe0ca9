import Age
import Crypto
import Foundation
import Zstd

/// The pipeline every stored backup's bytes go through: plaintext → SHA-256 → `Zstd.Compressor`
/// (zstd's workers) → `Age.AgeEncryptor` → SHA-256 → a sink (a `PendingBackup`, or every store's
/// through `StoreFanOut`). A snapshot and a dump feed it alike, so both are wrapped, hashed and
/// published the same way.
final class StoredStream {
    struct Digests {
        var plaintextSize: Int64 = 0
        var plaintextSHA256 = ""
        var storedSize: Int64 = 0
        var storedSHA256 = ""
    }

    private var digests = Digests()
    private var plainHash = SHA256()
    private var storedHash = SHA256()
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private let encryptor: AgeEncryptor?
    private let compressor: Compressor?

    /// - Parameter parallel: whether zstd may use its worker threads (worth it past a few MiB).
    init(job: BackupJob, into sink: @escaping (UnsafeRawBufferPointer) throws -> Void, parallel: Bool) throws {
        self.sink = sink
        encryptor = try job.encryption.recipients.map { try AgeEncryptor(recipients: $0) }
        compressor =
            switch job.compression {
            case .none: nil
            case .zstd(let level):
                try Compressor(
                    level: level, workers: parallel ? Self.compressionWorkers : 0, jobSize: Self.jobSize(for: job))
            }
    }

    /// zstd's job size: 4 MiB (its buffers near 25 MiB; each job boundary costs some output, so
    /// fewer, larger jobs give output no larger than single-threaded `zstd -3`), or 1 MiB (near
    /// 8 MiB, the output ~0.04 % larger) when a store holds parts in memory while they upload,
    /// so that a backup to S3 stays within 64 MiB.
    static func jobSize(for job: BackupJob) -> Int {
        job.targets.contains { $0.store.pendingBufferBytes > 0 } ? 1 << 20 : 4 << 20
    }

    static var compressionWorkers: Int { max(1, min(4, ProcessInfo.processInfo.activeProcessorCount)) }

    /// Takes the next plaintext bytes.
    func update(_ chunk: UnsafeRawBufferPointer) throws {
        plainHash.update(bufferPointer: chunk)
        digests.plaintextSize += Int64(chunk.count)
        if let compressor { try compressor.update(chunk, into: encrypt) } else { try encrypt(chunk) }
    }

    /// Flushes the compressor and the encryptor into the sink; returns the digests.
    func finish() throws -> Digests {
        try compressor?.finish(into: encrypt)
        try encryptor?.finish(into: store)
        digests.plaintextSHA256 = plainHash.finalize().hexString
        digests.storedSHA256 = storedHash.finalize().hexString
        return digests
    }

    private func encrypt(_ bytes: UnsafeRawBufferPointer) throws {
        if let encryptor { try encryptor.update(bytes, into: store) } else { try store(bytes) }
    }

    private func store(_ bytes: UnsafeRawBufferPointer) throws {
        storedHash.update(bufferPointer: bytes)
        digests.storedSize += Int64(bytes.count)
        try sink(bytes)
        CrashPoint.backupDuringEncryption.reached()
    }
}
