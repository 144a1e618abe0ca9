import Crypto
import CryptoExtras

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Derives scrypt wrap keys as the spec's "scrypt recipient stanza" section defines them.
enum ScryptKDF {
    /// Prefixed to the random salt so the wrap key is bound to age.
    static let label = Array("age-encryption.org/v1/scrypt".utf8)

    /// scrypt(N = 2^workFactor, r = 8, p = 1, dkLen = 32, S = label || salt, P = passphrase).
    static func wrapKey(passphrase: String, salt: [UInt8], workFactor: Int) throws -> SymmetricKey {
        try KDF.Scrypt.deriveKey(
            from: Array(passphrase.utf8), salt: label + salt, outputByteCount: 32,
            rounds: 1 << workFactor, blockSize: 8, parallelism: 1)
    }
}

/// A passphrase to encrypt to; it must be a file's only recipient.
public struct ScryptRecipient: AgeRecipient {
    private let passphrase: String
    /// log2 of scrypt's N; each step doubles time and memory (18 ≈ 256 MiB, about a second).
    public let workFactor: Int

    /// Encrypts to `passphrase` with scrypt cost 2^`workFactor` (1…30).
    public init(passphrase: String, workFactor: Int = 18) {
        precondition((1...30).contains(workFactor), "scrypt work factor must be between 1 and 30")
        self.passphrase = passphrase
        self.workFactor = workFactor
    }

    public func wrap(_ fileKey: AgeFileKey) throws -> [AgeStanza] {
        let salt = SecureRandom.bytes(16)
        let key = try ScryptKDF.wrapKey(passphrase: passphrase, salt: salt, workFactor: workFactor)
        return [
            AgeStanza(
                type: "scrypt", arguments: [Base64.encode(salt), String(workFactor)],
                body: Primitives.wrap(fileKey, key: key))
        ]
    }
}
