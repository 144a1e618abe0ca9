import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Encrypts a payload chunk by chunk, holding back one chunk so the last one can be flagged.
struct PayloadEncryptor {
    private let key: SymmetricKey
    private var counter: UInt64 = 0
    /// The plaintext of the chunk not yet sealed: it may turn out to be the last one.
    private var staging: [UInt8]
    private var staged = 0
    /// The last sealed chunk, kept until the next one exists: freeing every chunk's buffers
    /// straight away lets malloc trim and re-fault the heap top for each chunk, which cost
    /// as much as the encryption itself.
    private var previous: ChaChaPoly.SealedBox?

    init(key: SymmetricKey) {
        self.key = key
        staging = [UInt8](repeating: 0, count: STREAM.chunkSize)
    }

    /// Consumes plaintext, emitting every chunk now known not to be the last.
    mutating func update(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var input = input[...]
        while !input.isEmpty {
            if staged == STREAM.chunkSize {
                // More input exists, so the staged full chunk is not the final one.
                previous = try staging.withUnsafeBytes {
                    try STREAM.seal($0, key: key, counter: counter, last: false, into: sink)
                }
                counter += 1
                staged = 0
            }
            if staged == 0, input.count > STREAM.chunkSize {
                // Fast path: seal straight from the caller's buffer, no staging copy.
                let chunk = UnsafeRawBufferPointer(rebasing: input.prefix(STREAM.chunkSize))
                previous = try STREAM.seal(chunk, key: key, counter: counter, last: false, into: sink)
                counter += 1
                input = input.dropFirst(STREAM.chunkSize)
                continue
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
}
