import Crypto
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Encrypts a payload chunk by chunk, holding back one chunk so the last one can be flagged.
///
/// Chunks are independent under STREAM (each has its own nonce), so when the input holds
/// several full chunks they are sealed at once on every core, in a bounded batch.
struct PayloadEncryptor {
    /// Chunks sealed together at most: a batch buffers about 1 MiB of ciphertext.
    static let batchSize = 16
    /// Fewer chunks than this are sealed on the calling thread: starting threads for them
    /// would cost about what sealing them does.
    static let parallelFrom = 4

    private let key: SymmetricKey
    private var counter: UInt64 = 0
    /// The plaintext of the chunk not yet sealed: it may turn out to be the last one.
    private var staging: [UInt8]
    private var staged = 0
    /// Ciphertext of one batch, in chunk order; allocated on the first batch.
    private var sealed: [UInt8] = []

    init(key: SymmetricKey) {
        self.key = key
        staging = [UInt8](repeating: 0, count: STREAM.chunkSize)
    }

    /// Leaves the first `chunks` chunks to be sealed by `sealHeld`: what `update` takes next is
    /// chunk `chunks` on. Only before any input.
    mutating func skip(chunks: Int) {
        precondition(counter == 0 && staged == 0, "PayloadEncryptor.skip after input")
        counter = UInt64(chunks)
    }

    /// Seals `held` (whole chunks, none of them the last) as chunks 0, 1, …: the ones `skip` left.
    func sealHeld(_ held: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(held.count % STREAM.chunkSize == 0, "held plaintext is not whole chunks")
        for index in 0..<(held.count / STREAM.chunkSize) {
            let chunk = UnsafeRawBufferPointer(
                rebasing: held[(index * STREAM.chunkSize)..<((index + 1) * STREAM.chunkSize)])
            _ = try STREAM.seal(chunk, key: key, counter: UInt64(index), last: false, into: sink)
        }
    }

    /// Consumes plaintext, emitting every chunk now known not to be the last.
    mutating func update(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var input = input[...]
        while !input.isEmpty {
            // Full chunks that more input follows are not the final one: seal them now.
            let stagedFull = staged == STREAM.chunkSize
            if stagedFull || staged == 0 {
                let fromInput = min((input.count - 1) / STREAM.chunkSize, Self.batchSize - (stagedFull ? 1 : 0))
                if stagedFull || fromInput > 0 {
                    try staging.withUnsafeBytes { staging in
                        var chunks: [UnsafeRawBufferPointer] = stagedFull ? [staging] : []
                        for index in 0..<fromInput {
                            chunks.append(
                                UnsafeRawBufferPointer(
                                    rebasing: input.dropFirst(index * STREAM.chunkSize).prefix(STREAM.chunkSize)))
                        }
                        try sealBatch(chunks, into: sink)
                    }
                    staged = 0
                    input = input.dropFirst(fromInput * STREAM.chunkSize)
                    continue
                }
            }
            let count = min(STREAM.chunkSize - staged, input.count)
            staging.withUnsafeMutableBytes { staging in
                UnsafeMutableRawBufferPointer(rebasing: staging[staged..<(staged + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: input.prefix(count)))
            }
            staged += count
            input = input.dropFirst(count)
        }
    }

    /// Seals the staged bytes as the final chunk (empty only if the whole payload is).
    mutating func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        _ = try staging.withUnsafeBytes {
            try STREAM.seal(
                UnsafeRawBufferPointer(rebasing: $0[..<staged]), key: key, counter: counter, last: true, into: sink)
        }
        staged = 0
    }

    /// Seals full, non-final `chunks` with consecutive counters and hands the ciphertext to
    /// `sink` in order: on the calling thread for a few, on all cores for more.
    private mutating func sealBatch(
        _ chunks: [UnsafeRawBufferPointer], into sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let first = counter
        counter += UInt64(chunks.count)
        if chunks.count < Self.parallelFrom {
            for (index, chunk) in chunks.enumerated() {
                _ = try STREAM.seal(chunk, key: key, counter: first + UInt64(index), last: false, into: sink)
            }
            return
        }
        if sealed.count < chunks.count * STREAM.sealedChunkSize {
            sealed = [UInt8](repeating: 0, count: chunks.count * STREAM.sealedChunkSize)
        }
        let key = key
        let failure = sealed.withUnsafeMutableBytes { output in
            let batch = Batch(chunks: chunks, output: output)
            ParallelLoop.run(iterations: chunks.count) { index in
                do {
                    _ = try STREAM.seal(batch.chunks[index], key: key, counter: first + UInt64(index), last: false) {
                        batch.slot(index).copyMemory(from: $0)
                    }
                } catch {
                    batch.failure.withLock { if $0 == nil { $0 = error } }
                }
            }
            return batch.failure.withLock { $0 }
        }
        if let failure { throw failure }
        try sealed.withUnsafeBytes {
            try sink(UnsafeRawBufferPointer(rebasing: $0[..<(chunks.count * STREAM.sealedChunkSize)]))
        }
    }
}

/// One batch's inputs and output, handed to the sealing threads: each thread reads its own
/// chunk and writes its own slot, and the caller waits for all of them.
private final class Batch: @unchecked Sendable {
    let chunks: [UnsafeRawBufferPointer]
    let output: UnsafeMutableRawBufferPointer
    let failure = Mutex<(any Error)?>(nil)

    init(chunks: [UnsafeRawBufferPointer], output: UnsafeMutableRawBufferPointer) {
        self.chunks = chunks
        self.output = output
    }

    func slot(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(
            rebasing: output[(index * STREAM.sealedChunkSize)..<((index + 1) * STREAM.sealedChunkSize)])
    }
}
