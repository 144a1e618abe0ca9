import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Decrypts a STREAM payload chunk by chunk, releasing plaintext only from chunks that
/// authenticated and whose position (final or not) is known.
struct PayloadDecryptor {
    private let key: SymmetricKey
    /// File offset of the first chunk (header length + 16-byte nonce), for error messages.
    private let baseOffset: Int
    private var counter: UInt64 = 0
    /// Ciphertext of the chunk not yet opened: until more bytes arrive (or EOF), it is unknown
    /// whether it is the final chunk, and a full-size chunk may be final.
    private var staging: [UInt8]
    private var staged = 0
    /// The last released plaintext, kept until the next one exists: freeing every chunk's
    /// buffers straight away lets malloc trim and re-fault the heap top for each chunk.
    private var previous: Data?
    private var scratch = Data()

    init(key: SymmetricKey, baseOffset: Int) {
        self.key = key
        self.baseOffset = baseOffset
        staging = [UInt8](repeating: 0, count: STREAM.sealedChunkSize)
    }

    /// File offset of the chunk numbered `counter`.
    private var chunkOffset: Int { baseOffset + Int(counter) * STREAM.sealedChunkSize }

    /// Consumes ciphertext, releasing the plaintext of every chunk proven non-final.
    mutating func update(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var input = input[...]
        while !input.isEmpty {
            if staged == STREAM.sealedChunkSize {
                try staging.withUnsafeBytes { try openNonFinal($0, into: sink) }
                staged = 0
            }
            if staged == 0, input.count > STREAM.sealedChunkSize {
                // Fast path: open straight from the caller's buffer; more bytes follow it.
                try openNonFinal(UnsafeRawBufferPointer(rebasing: input.prefix(STREAM.sealedChunkSize)), into: sink)
                input = input.dropFirst(STREAM.sealedChunkSize)
                continue
            }
            let count = min(STREAM.sealedChunkSize - staged, input.count)
            staging.withUnsafeMutableBytes { staging in
                UnsafeMutableRawBufferPointer(rebasing: staging[staged..<(staged + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: input.prefix(count)))
            }
            staged += count
            input = input.dropFirst(count)
        }
    }

    /// Opens a full-size chunk that more bytes follow.
    private mutating func openNonFinal(
        _ sealed: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        if let plaintext = STREAM.open(sealed, key: key, counter: counter, last: false, scratch: &scratch) {
            counter += 1
            try plaintext.withUnsafeBytes { try sink($0) }
            previous = plaintext
            return
        }
        if let plaintext = STREAM.open(sealed, key: key, counter: counter, last: true, scratch: &scratch) {
            // An authentic full-size final chunk with bytes after it: the chunk itself is
            // genuine (as age's reference reader does, release it), the appended bytes are not.
            let end = chunkOffset + STREAM.sealedChunkSize
            counter += 1
            try plaintext.withUnsafeBytes { try sink($0) }
            throw AgeError.trailingData(offset: end)
        }
        throw AgeError.payloadAuthenticationFailed(offset: chunkOffset)
    }

    /// At end of input: the staged bytes must be a valid final chunk.
    mutating func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let end = chunkOffset + staged
        if staged < STREAM.tagSize {
            // No chunk at all, or less than a tag: nothing here can be a final chunk.
            throw AgeError.payloadTruncated(offset: end)
        }
        let plaintext = staging.withUnsafeBytes {
            STREAM.open(
                UnsafeRawBufferPointer(rebasing: $0[..<staged]), key: key, counter: counter, last: true,
                scratch: &scratch)
        }
        guard let plaintext else {
            let nonFinal =
                staged < STREAM.sealedChunkSize
                ? nil
                : staging.withUnsafeBytes {
                    STREAM.open($0, key: key, counter: counter, last: false, scratch: &scratch)
                }
            guard let nonFinal else { throw AgeError.payloadAuthenticationFailed(offset: chunkOffset) }
            // A genuine non-final chunk at EOF: the file was cut at a chunk boundary. The chunk
            // itself is authentic, so (like age's reference reader) release it, then fail.
            counter += 1
            staged = 0
            try nonFinal.withUnsafeBytes { try sink($0) }
            throw AgeError.payloadTruncated(offset: end)
        }
        // Spec: the final chunk "MUST NOT be empty unless the whole payload is empty".
        guard !plaintext.isEmpty || counter == 0 else { throw AgeError.emptyFinalChunk(offset: chunkOffset) }
        counter += 1
        staged = 0
        try plaintext.withUnsafeBytes { try sink($0) }
    }
}
