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
    private var payload: PayloadEncryptor
    private var finished = false

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
        pendingHeader = AgeHeader.encode(stanzas: stanzas, fileKey: fileKey) + nonce
        payload = PayloadEncryptor(key: STREAM.payloadKey(fileKey: fileKey, nonce: nonce))
    }

    /// Encrypts `plaintext`, emitting every complete chunk that is known not to be the last.
    public func update(_ plaintext: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "AgeEncryptor.update called after finish")
        try emitHeader(into: sink)
        try payload.update(plaintext, into: sink)
    }

    /// Emits the final chunk. Call exactly once, after the last `update`.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "AgeEncryptor.finish called twice")
        try emitHeader(into: sink)
        finished = true
        try payload.finish(into: sink)
    }

    private func emitHeader(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let header = pendingHeader else { return }
        pendingHeader = nil
        try header.withUnsafeBytes { try sink($0) }
    }
}
