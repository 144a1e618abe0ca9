import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Encrypts a stream into a binary age v1 file, holding at most one 64 KiB chunk.
///
/// Call `update` with plaintext as it arrives and `finish` once; output goes to the sink
/// given to each call, and the header is emitted on the first call.
public final class AgeEncryptor {
    /// Header and payload nonce, until they have been emitted.
    private var pendingHeader: [UInt8]?
    /// Bytes of header and payload nonce: where the payload's first chunk starts in the file.
    private let headerSize: Int
    private var payload: PayloadEncryptor
    private var finished = false
    /// Plaintext bytes of the held start, rounded up to whole chunks (0: nothing held).
    private var heldSize = 0
    /// The held start's plaintext so far.
    private var held: [UInt8] = []
    /// Whether the file carries zeros in place of the held chunks (more plaintext followed them).
    private var placeholderEmitted = false

    /// The sealed first chunks of a file whose start was held (`init(recipients:holdingStart:)`):
    /// to be written at `offset` over the zeros the stream carries there.
    public struct LateStart: Sendable {
        public let offset: Int64
        public let bytes: [UInt8]
    }

    /// The most recipient stanzas a file may have: decryptors refuse headers with more
    /// (`AgeDecryptor`), so encrypting to more would make a file nobody can open here.
    public static let maximumRecipients = AgeHeader.maximumStanzas

    /// Wraps a fresh file key for every recipient. Throws `noRecipients` for an empty list
    /// and `scryptMustBeAlone` if a passphrase is mixed with other recipients.
    public init(recipients: [any AgeRecipient]) throws {
        guard !recipients.isEmpty else { throw AgeError.noRecipients }
        guard recipients.count <= Self.maximumRecipients else {
            throw AgeError.invalidRecipient(
                "list of \(recipients.count) keys",
                reason: "a file may be encrypted to at most \(Self.maximumRecipients) recipients")
        }
        if recipients.count > 1, recipients.contains(where: { $0 is ScryptRecipient }) {
            throw AgeError.scryptMustBeAlone
        }
        let fileKey = AgeFileKey.random()
        var stanzas: [AgeStanza] = []
        for recipient in recipients { stanzas += try recipient.wrap(fileKey) }
        // Spec: an scrypt stanza must be alone; also catches custom recipients that emit one.
        if stanzas.count > 1, stanzas.contains(where: { $0.type == "scrypt" }) { throw AgeError.scryptMustBeAlone }
        let nonce = SecureRandom.bytes(STREAM.payloadNonceSize)
        let header = AgeHeader.encode(stanzas: stanzas, fileKey: fileKey) + nonce
        pendingHeader = header
        headerSize = header.count
        payload = PayloadEncryptor(key: STREAM.payloadKey(fileKey: fileKey, nonce: nonce))
    }

    /// An encryptor whose first `holdingStart` plaintext bytes are given again, as they really
    /// are, only at `finish(replacingStart:into:)`: for a stream whose start is known last.
    ///
    /// The chunks covering them (whole 64 KiB chunks) are never sealed before their real
    /// plaintext is known: sealing a placeholder and then the real bytes under the same nonce
    /// would give both away. Once more plaintext follows those chunks, the stream carries zeros
    /// in their place (their sealed size, after the header) and continues with the next chunk;
    /// `finish` returns their ciphertext to be written over the zeros. A stream that ends within
    /// them is emitted in order by `finish`, with nothing to write back.
    public convenience init(recipients: [any AgeRecipient], holdingStart: Int) throws {
        precondition(holdingStart > 0, "holdingStart must be positive")
        try self.init(recipients: recipients)
        heldSize = (holdingStart + STREAM.chunkSize - 1) / STREAM.chunkSize * STREAM.chunkSize
    }

    /// Encrypts `plaintext`, emitting every complete chunk that is known not to be the last.
    public func update(_ plaintext: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "AgeEncryptor.update called after finish")
        try emitHeader(into: sink)
        var plaintext = plaintext
        let holding = heldSize
        if holding > 0, !placeholderEmitted {
            let taken = min(holding - held.count, plaintext.count)
            held.append(contentsOf: UnsafeRawBufferPointer(rebasing: plaintext[..<taken]))
            plaintext = UnsafeRawBufferPointer(rebasing: plaintext[taken...])
            // The held chunks are not the last only once a byte follows them.
            guard held.count == holding, !plaintext.isEmpty else { return }
            let zeros = [UInt8](repeating: 0, count: holding / STREAM.chunkSize * STREAM.sealedChunkSize)
            try zeros.withUnsafeBytes { try sink($0) }
            payload.skip(chunks: holding / STREAM.chunkSize)
            placeholderEmitted = true
        }
        try payload.update(plaintext, into: sink)
    }

    /// Emits the final chunk. Call exactly once, after the last `update`.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition((heldSize) == 0, "an encryptor holding its start finishes with its start")
        precondition(!finished, "AgeEncryptor.finish called twice")
        try emitHeader(into: sink)
        finished = true
        try payload.finish(into: sink)
    }

    /// Puts `start` over the first bytes of the held plaintext and emits the rest of the file;
    /// returns the sealed held chunks and where they go when the stream carries zeros there,
    /// nil when `finish` emitted them in order. Call exactly once, after the last `update`.
    public func finish(replacingStart start: [UInt8], into sink: (UnsafeRawBufferPointer) throws -> Void) throws
        -> LateStart?
    {
        precondition(!finished, "AgeEncryptor.finish called twice")
        let holding = heldSize
        precondition(holding > 0, "finish(replacingStart:) on an encryptor that holds nothing")
        precondition(start.count <= held.count, "the start is longer than the plaintext given")
        try emitHeader(into: sink)
        finished = true
        held.replaceSubrange(0..<start.count, with: start)
        defer { held = [] }
        guard placeholderEmitted else {
            try held.withUnsafeBytes { try payload.update($0, into: sink) }
            try payload.finish(into: sink)
            return nil
        }
        var sealed: [UInt8] = []
        sealed.reserveCapacity(holding / STREAM.chunkSize * STREAM.sealedChunkSize)
        try held.withUnsafeBytes { held in try payload.sealHeld(held) { sealed.append(contentsOf: $0) } }
        try payload.finish(into: sink)
        return LateStart(offset: Int64(headerSize), bytes: sealed)
    }

    private func emitHeader(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let header = pendingHeader else { return }
        pendingHeader = nil
        try header.withUnsafeBytes { try sink($0) }
    }
}
