import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Random bytes from the operating system's CSPRNG (getrandom(2) on Linux).
enum SecureRandom {
    /// Returns `count` random bytes.
    static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in generator.next() }
    }
}

/// The small set of primitives the age spec composes ("Conventions").
enum Primitives {
    /// HKDF-SHA-256 with a 32-byte output, as every age key derivation uses.
    static func hkdf(ikm: some ContiguousBytes, salt: some DataProtocol, info: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: ikm), salt: salt, info: Array(info.utf8), outputByteCount: 32)
    }

    /// The all-zero nonce used to wrap file keys in stanza bodies.
    static let zeroNonce = try! ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12))

    /// Encrypts a file key under `key` with the zero nonce: 16 bytes become a 32-byte body.
    static func wrap(_ fileKey: AgeFileKey, key: SymmetricKey) -> [UInt8] {
        let box = try! ChaChaPoly.seal(fileKey.bytes, using: key, nonce: zeroNonce)
        return Array(box.ciphertext) + Array(box.tag)
    }

    /// Decrypts a 32-byte stanza body, or returns nil if it does not authenticate under `key`.
    ///
    /// Callers check the body length first (spec: mitigates partitioning oracle attacks).
    static func unwrap(_ body: [UInt8], key: SymmetricKey) -> AgeFileKey? {
        guard body.count == 32,
            let box = try? ChaChaPoly.SealedBox(nonce: zeroNonce, ciphertext: body[..<16], tag: body[16...]),
            let plaintext = try? ChaChaPoly.open(box, using: key)
        else { return nil }
        return try? AgeFileKey(bytes: Array(plaintext))
    }
}
