import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An age X25519 public key (`age1…`): files encrypted to it open with the matching
/// `X25519Identity` (spec "The X25519 recipient type").
public struct X25519Recipient: AgeRecipient, CustomStringConvertible, Hashable {
    /// The HKDF info string that binds the wrap key to this recipient type.
    static let label = "age-encryption.org/v1/X25519"

    /// The 32-byte Curve25519 public key.
    let publicKey: [UInt8]

    /// Wraps raw public key bytes.
    init(publicKey: [UInt8]) {
        precondition(publicKey.count == 32)
        self.publicKey = publicKey
    }

    /// Parses an `age1…` Bech32 recipient, as printed by `age-keygen -y`.
    ///
    /// Errors quote the text, except a secret key pasted by mistake, which is never repeated
    /// (`check-config` runs under systemd, so what it prints lands in the journal).
    public init(parsing text: String) throws(AgeError) {
        if AgeKeys.isSecretKey(text) {
            throw .invalidRecipient(AgeKeys.secretKeyPlaceholder, reason: AgeKeys.secretKeyGivenAsRecipient)
        }
        let shown = text.count > 80 ? String(text.prefix(20)) + "…" : text
        if let type = AgeKeys.sshKeyType(text) {
            throw .invalidRecipient(
                "\"\(type) …\"",
                reason:
                    "SSH keys are not supported (age X25519 keys only); make one with `litesafe keygen` or `age-keygen`"
            )
        }
        let decoded: (hrp: String, data: [UInt8])
        do {
            decoded = try Bech32.decode(text)
        } catch {
            throw .invalidRecipient("\"\(shown)\"", reason: "not a valid age public key: \(error)")
        }
        guard decoded.hrp == "age" else {
            if decoded.hrp == "age1pq" || decoded.hrp.hasPrefix("age1") {
                throw .invalidRecipient("\"\(shown)\"", reason: "this is not an X25519 recipient (type \(decoded.hrp))")
            }
            throw .invalidRecipient("\"\(shown)\"", reason: "expected the prefix age1, found \(decoded.hrp)1")
        }
        guard decoded.data.count == 32 else {
            throw .invalidRecipient(
                "\"\(shown)\"", reason: "an X25519 key is 32 bytes, this one is \(decoded.data.count)")
        }
        self.init(publicKey: decoded.data)
    }

    /// The `age1…` encoding.
    public var description: String { Bech32.encode(hrp: "age", data: publicKey) }

    /// Wraps the file key with a fresh ephemeral key agreement (one stanza).
    public func wrap(_ fileKey: AgeFileKey) throws -> [AgeStanza] {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let share = Array(ephemeral.publicKey.rawRepresentation)
        let theirs = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: publicKey)
        let secret = try ephemeral.sharedSecretFromKeyAgreement(with: theirs).withUnsafeBytes { Array($0) }
        // A low-order recipient point yields the all-zero secret, which would make the
        // wrap key public; the spec forbids it on the identity side, so refuse it here too.
        guard secret.contains(where: { $0 != 0 }) else {
            throw AgeError.invalidRecipient("\"\(description)\"", reason: "the key is a low-order point")
        }
        let key = Primitives.hkdf(ikm: secret, salt: share + publicKey, info: Self.label)
        return [AgeStanza(type: "X25519", arguments: [Base64.encode(share)], body: Primitives.wrap(fileKey, key: key))]
    }
}
