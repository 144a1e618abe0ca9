import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An age X25519 secret key (`AGE-SECRET-KEY-1…`), as written by `age-keygen`.
public struct X25519Identity: AgeIdentity {
    private let privateKey: Curve25519.KeyAgreement.PrivateKey

    /// The public key that files must be encrypted to for this identity to open them.
    public let recipient: X25519Recipient

    private init(privateKey: Curve25519.KeyAgreement.PrivateKey) {
        self.privateKey = privateKey
        recipient = X25519Recipient(publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// A new random identity.
    public static func generate() -> X25519Identity {
        X25519Identity(privateKey: Curve25519.KeyAgreement.PrivateKey())
    }

    /// Parses an `AGE-SECRET-KEY-1…` string; errors never quote the key.
    public init(parsing text: String) throws(AgeError) {
        var bytes = Array(text.utf8)
        defer { bytes.wipe() }
        try self.init(parsing: bytes[...])
    }

    /// Parses `AGE-SECRET-KEY-1…` text, zeroing every copy of the key it makes.
    init(parsing text: ArraySlice<UInt8>) throws(AgeError) {
        var decoded: (hrp: String, data: [UInt8])
        do {
            decoded = try Bech32.decode(text)
        } catch {
            throw .invalidIdentity(reason: "the secret key is damaged: \(error)")
        }
        defer { decoded.data.wipe() }
        guard decoded.hrp == "age-secret-key-" else {
            throw .invalidIdentity(reason: "expected the prefix AGE-SECRET-KEY-1")
        }
        guard decoded.data.count == 32,
            let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: decoded.data)
        else {
            throw .invalidIdentity(reason: "an X25519 secret key is 32 bytes, this one is \(decoded.data.count)")
        }
        self.init(privateKey: key)
    }

    /// The `AGE-SECRET-KEY-1…` encoding (uppercase, as age-keygen writes it).
    public var encoded: String {
        Bech32.encode(hrp: "AGE-SECRET-KEY-", data: Array(privateKey.rawRepresentation), uppercase: true)
    }

    /// The identity file exactly as `age-keygen` writes it: creation time (RFC 3339 in the
    /// given time zone, like Go's `time.Now().Format(time.RFC3339)`), public key, secret key.
    public func identityFile(created: Date, timeZone: TimeZone = .current) -> String {
        "# created: \(RFC3339.format(created, timeZone: timeZone))\n"
            + "# public key: \(recipient)\n"
            + "\(encoded)\n"
    }

    /// Finds the first `X25519` stanza that opens with this key.
    public func unwrap(_ stanzas: [AgeStanza]) throws -> AgeFileKey? {
        for stanza in stanzas where stanza.type == "X25519" {
            guard stanza.arguments.count == 1 else {
                throw AgeError.malformedHeader("an X25519 stanza must have exactly one argument after its type")
            }
            guard let share = Base64.decodeUnpadded(stanza.arguments[0]), share.count == 32 else {
                throw AgeError.malformedHeader("an X25519 stanza's share must be 32 bytes in canonical base64")
            }
            // Checked before decrypting (spec: mitigates partitioning oracle attacks).
            guard stanza.body.count == 32 else {
                throw AgeError.malformedHeader("an X25519 stanza's body must be 32 bytes, got \(stanza.body.count)")
            }
            let theirs = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: share)
            let secret = try privateKey.sharedSecretFromKeyAgreement(with: theirs).withUnsafeBytes { Array($0) }
            // Spec: "If the shared secret is all 0x00 bytes, the identity implementation MUST abort."
            guard secret.contains(where: { $0 != 0 }) else {
                throw AgeError.malformedHeader("an X25519 stanza's share is a low-order point")
            }
            let key = Primitives.hkdf(ikm: secret, salt: share + recipient.publicKey, info: X25519Recipient.label)
            if let fileKey = Primitives.unwrap(stanza.body, key: key) { return fileKey }
        }
        return nil
    }
}
