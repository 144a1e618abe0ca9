import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Constants and nonces of age's STREAM payload construction (spec "Payload").
enum STREAM {
    /// Plaintext bytes per chunk.
    static let chunkSize = 64 * 1024
    /// Poly1305 tag bytes appended to each chunk.
    static let tagSize = 16
    /// Ciphertext bytes of a full chunk.
    static let sealedChunkSize = chunkSize + tagSize
    /// Bytes of the random nonce that starts the payload.
    static let payloadNonceSize = 16

    /// payload key = HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload").
    static func payloadKey(fileKey: AgeFileKey, nonce: [UInt8]) -> SymmetricKey {
        Primitives.hkdf(ikm: fileKey.bytes, salt: nonce, info: "payload")
    }

    /// The 12-byte AEAD nonce: an 11-byte big-endian chunk counter, then 0x01 for the final
    /// chunk and 0x00 otherwise.
    static func nonce(counter: UInt64, last: Bool) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for index in 0..<8 { bytes[3 + index] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(index))) }
        bytes[11] = last ? 1 : 0
        return try! ChaChaPoly.Nonce(data: bytes)
    }

    /// Seals one chunk and hands its ciphertext and tag (without the nonce) to `sink`;
    /// returns the sealed box so the caller decides when its buffer is freed.
    static func seal(
        _ chunk: UnsafeRawBufferPointer, key: SymmetricKey, counter: UInt64, last: Bool,
        into sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> ChaChaPoly.SealedBox {
        let box = try ChaChaPoly.seal(chunk, using: key, nonce: nonce(counter: counter, last: last))
        // `combined` is nonce || ciphertext || tag in one buffer: skipping the nonce avoids a copy.
        try box.combined.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[12...])) }
        return box
    }

    /// Opens one sealed chunk (ciphertext || tag), or returns nil if it does not authenticate.
    ///
    /// `scratch` is reused across calls to assemble nonce || ciphertext || tag, the layout
    /// `ChaChaPoly.SealedBox` wants, without allocating for every chunk.
    static func open(
        _ sealed: UnsafeRawBufferPointer, key: SymmetricKey, counter: UInt64, last: Bool, scratch: inout Data
    ) -> Data? {
        guard sealed.count >= tagSize else { return nil }
        let length = 12 + sealed.count
        if scratch.count < length { scratch = Data(count: 12 + sealedChunkSize) }
        let nonce = nonce(counter: counter, last: last)
        scratch.withUnsafeMutableBytes { buffer in
            nonce.withUnsafeBytes { buffer.copyMemory(from: $0) }
            UnsafeMutableRawBufferPointer(rebasing: buffer[12..<length]).copyMemory(from: sealed)
        }
        guard let box = try? ChaChaPoly.SealedBox(combined: scratch.prefix(length)) else { return nil }
        return try? ChaChaPoly.open(box, using: key)
    }
}
