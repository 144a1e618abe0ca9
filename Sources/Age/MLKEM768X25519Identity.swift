import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A hybrid post-quantum secret key (`AGE-SECRET-KEY-PQ-1…`): a 32-byte X-Wing seed.
public struct MLKEM768X25519Identity: AgeIdentity {
    private let privateKey: XWingMLKEM768X25519.PrivateKey

    /// The matching `age1pq1…` recipient.
    public var recipient: MLKEM768X25519Recipient {
        MLKEM768X25519Recipient(publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// A new random identity.
    public static func generate() throws -> MLKEM768X25519Identity {
        MLKEM768X25519Identity(privateKey: try XWingMLKEM768X25519.PrivateKey.generate())
    }

    private init(privateKey: XWingMLKEM768X25519.PrivateKey) { self.privateKey = privateKey }

    /// Parses an `AGE-SECRET-KEY-PQ-1…` string; errors never quote the key.
    public init(parsing text: String) throws(AgeError) {
        var bytes = Array(text.utf8)
        defer { bytes.wipe() }
        try self.init(parsing: bytes[...])
    }

    /// Parses `AGE-SECRET-KEY-PQ-1…` text, zeroing every copy of the seed it makes.
    init(parsing text: ArraySlice<UInt8>) throws(AgeError) {
        var decoded: (hrp: String, data: [UInt8])
        do {
            decoded = try Bech32.decode(text)
        } catch {
            throw .invalidIdentity(reason: "the secret key is damaged: \(error)")
        }
        defer { decoded.data.wipe() }
        guard decoded.hrp == "age-secret-key-pq-", decoded.data.count == 32,
            let key = try? XWingMLKEM768X25519.PrivateKey(seedRepresentation: decoded.data, publicKey: nil)
        else {
            throw .invalidIdentity(reason: "not a 32-byte AGE-SECRET-KEY-PQ-1… key")
        }
        privateKey = key
    }

    /// The `AGE-SECRET-KEY-PQ-1…` encoding.
    public var encoded: String {
        Bech32.encode(hrp: "AGE-SECRET-KEY-PQ-", data: Array(privateKey.seedRepresentation), uppercase: true)
    }

    public func unwrap(_ stanzas: [AgeStanza]) throws -> AgeFileKey? {
        for stanza in stanzas where stanza.type == MLKEM768X25519.stanzaType {
            guard stanza.arguments.count == 1 else {
                throw AgeError.malformedHeader("an mlkem768x25519 stanza must have exactly one argument after its type")
            }
            guard let enc = Base64.decodeUnpadded(stanza.arguments[0]), enc.count == MLKEM768X25519.encapsulatedKeySize
            else {
                throw AgeError.malformedHeader(
                    "an mlkem768x25519 stanza's share must be 1120 bytes in canonical base64")
            }
            // Checked before decrypting (spec: mitigates partitioning oracle attacks).
            guard stanza.body.count == 32 else {
                throw AgeError.malformedHeader(
                    "an mlkem768x25519 stanza's body must be 32 bytes, got \(stanza.body.count)")
            }
            // A low-order X25519 share makes the X25519 secret all zeros, which X25519 KEMs
            // must reject; any clamped scalar maps exactly those points to zero.
            let share = try Curve25519.KeyAgreement.PublicKey(
                rawRepresentation: enc.suffix(MLKEM768X25519.x25519ShareSize))
            let probe = try Curve25519.KeyAgreement.PrivateKey().sharedSecretFromKeyAgreement(with: share)
            guard probe.withUnsafeBytes({ $0.contains { $0 != 0 } }) else {
                throw AgeError.malformedHeader("an mlkem768x25519 stanza's X25519 share is a low-order point")
            }
            let recipient: HPKE.Recipient
            do {
                recipient = try HPKE.Recipient(
                    privateKey: privateKey, ciphersuite: MLKEM768X25519.ciphersuite, info: MLKEM768X25519.info,
                    encapsulatedKey: Data(enc))
            } catch {
                throw AgeError.malformedHeader("an mlkem768x25519 stanza's share cannot be decapsulated")
            }
            var opener = recipient
            if let plaintext = try? opener.open(stanza.body), let fileKey = try? AgeFileKey(bytes: Array(plaintext)) {
                return fileKey
            }
        }
        return nil
    }
}
