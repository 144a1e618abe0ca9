import Age
import Crypto
import Foundation
import Zstd

/// The pipeline every stored backup's bytes go through: plaintext → SHA-256 → `Zstd.Compressor`
/// (zstd's workers) → `Age.AgeEncryptor` → SHA-256 → a sink (a `PendingBackup`, or every store's
/// through `StoreFanOut`). A snapshot and a dump feed it alike, so both are wrapped, hashed and
/// published the same way.
///
/// A stream may reserve its start (`reservingStart`): the first bytes of what goes into the
/// encryptor (page 1 of a captured snapshot, as a raw zstd frame) are known only at `finish`.
/// The stored stream then carries zeros where they go, and `finish` returns the bytes to write
/// there; nothing made from the zeros is ever encrypted (`AgeEncryptor(holdingStart:)`).
final class StoredStream {
    struct Digests {
        var plaintextSize: Int64 = 0
        var plaintextSHA256 = ""
        var storedSize: Int64 = 0
        /// Of the stored bytes (not for a stream with a reserved start: see `storedChecksum`).
        var storedSHA256 = ""
        /// A stream with a reserved start's checksum of the stored bytes as streamed, zeros where
        /// the start goes (its read-back gives the whole file's SHA-256).
        var storedChecksum: UInt64 = 0
    }

    /// Bytes to write over the zeros a stream with a reserved start carries.
    struct LateStart {
        let offset: Int64
        let bytes: [UInt8]
    }

    /// Where the time went, for the completion line (compression excludes the encryption it
    /// feeds, and encryption the writes it feeds).
    struct Timings {
        var compress = Duration.zero
        var encrypt = Duration.zero
        var write = Duration.zero
    }

    private var digests = Digests()
    private var plainHash = SHA256()
    private var storedHash = SHA256()
    private var storedChecksum = StreamChecksum()
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private let encryptor: AgeEncryptor?
    private let compressor: Compressor?
    /// Bytes reserved at the start of what goes into the encryptor (0: none).
    private let reservedStart: Int
    private(set) var timings = Timings()
    private let clock = ContinuousClock()

    /// - Parameters:
    ///   - parallel: whether zstd may use its worker threads (worth it past a few MiB).
    ///   - reservingStart: how many bytes at the start of the compressed stream `finish` gives.
    init(
        job: BackupJob, into sink: @escaping (UnsafeRawBufferPointer) throws -> Void, parallel: Bool,
        reservingStart: Int = 0
    ) throws {
        self.sink = sink
        reservedStart = reservingStart
        batchSize = job.targets.contains { $0.store.pendingBufferBytes > 0 } ? 0 : 1 << 20
        encryptor = try job.encryption.recipients.map {
            reservingStart > 0
                ? try AgeEncryptor(recipients: $0, holdingStart: reservingStart) : try AgeEncryptor(recipients: $0)
        }
        compressor =
            switch job.compression {
            case .none: nil
            case .zstd(let level):
                try Compressor(
                    level: level, workers: parallel ? Self.compressionWorkers : 0, jobSize: Self.jobSize(for: job))
            }
        if reservingStart > 0 {
            // Zeros in the start's place: held by the encryptor, or stored as they are.
            let zeros = [UInt8](repeating: 0, count: reservingStart)
            try zeros.withUnsafeBytes { try encrypt($0) }
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
        if let compressor {
            try compressing { try compressor.update(chunk, into: encrypt) }
        } else {
            try encrypt(chunk)
        }
    }

    /// Flushes the compressor and the encryptor into the sink; returns the digests.
    func finish() throws -> Digests {
        precondition(reservedStart == 0, "a stream with a reserved start finishes with its start")
        if let compressor { try compressing { try compressor.finish(into: encrypt) } }
        try flushBatch()
        try encrypting { try encryptor?.finish(into: store) }
        return finalDigests()
    }

    /// Flushes the compressor and the encryptor into the sink, `start` (as many bytes as were
    /// reserved) taking the reserved place; returns the digests, and the bytes to write over the
    /// zeros the stream carries (nil when the encryptor emitted the start in order).
    func finish(start: [UInt8]) throws -> (Digests, LateStart?) {
        precondition(
            start.count == reservedStart, "the start is \(start.count) bytes, not the \(reservedStart) reserved")
        if let compressor { try compressing { try compressor.finish(into: encrypt) } }
        try flushBatch()
        let late: LateStart?
        if let encryptor {
            late = try encrypting { try encryptor.finish(replacingStart: start, into: store) }
                .map { LateStart(offset: $0.offset, bytes: $0.bytes) }
        } else {
            late = LateStart(offset: 0, bytes: start)
        }
        return (finalDigests(), late)
    }

    private func finalDigests() -> Digests {
        digests.plaintextSHA256 = plainHash.finalize().hexString
        if reservedStart > 0 {
            digests.storedChecksum = storedChecksum.finalize()
        } else {
            digests.storedSHA256 = storedHash.finalize().hexString
        }
        return digests
    }

    /// Compressed bytes gathered for the encryptor: zstd hands its output on in pieces of about
    /// 128 KiB, and the encryptor seals chunks on every core only when given several at once.
    private var batch: [UInt8] = []
    /// How many bytes `batch` gathers: 1 MiB, or none when a store holds parts in memory (an
    /// S3 upload, bound by the network, whose backup must stay within 64 MiB).
    private let batchSize: Int

    private func encrypt(_ bytes: UnsafeRawBufferPointer) throws {
        guard let encryptor else { return try store(bytes) }
        if batch.isEmpty, bytes.count >= batchSize {
            return try encrypting { try encryptor.update(bytes, into: store) }
        }
        if batch.capacity < batchSize { batch.reserveCapacity(batchSize) }
        batch.append(contentsOf: bytes)
        if batch.count >= batchSize { try flushBatch() }
    }

    /// Hands the gathered bytes to the encryptor.
    private func flushBatch() throws {
        guard let encryptor, !batch.isEmpty else { return }
        try encrypting { try batch.withUnsafeBytes { try encryptor.update($0, into: store) } }
        batch.removeAll(keepingCapacity: true)
    }

    private func store(_ bytes: UnsafeRawBufferPointer) throws {
        let started = clock.now
        defer { timings.write += clock.now - started }
        if reservedStart > 0 { storedChecksum.update(bytes) } else { storedHash.update(bufferPointer: bytes) }
        digests.storedSize += Int64(bytes.count)
        try sink(bytes)
        CrashPoint.backupDuringEncryption.reached()
    }

    /// Runs compression, counting its time less the encryption and writes it fed.
    private func compressing<T>(_ body: () throws -> T) rethrows -> T {
        let started = clock.now
        let before = timings.encrypt + timings.write
        defer { timings.compress += clock.now - started - (timings.encrypt + timings.write - before) }
        return try body()
    }

    /// Runs encryption, counting its time less the writes it fed.
    private func encrypting<T>(_ body: () throws -> T) rethrows -> T {
        let started = clock.now
        let before = timings.write
        defer { timings.encrypt += clock.now - started - (timings.write - before) }
        return try body()
    }
}
