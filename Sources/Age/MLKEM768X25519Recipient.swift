import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Shared parameters of the hybrid post-quantum recipient type (spec "The MLKEM768-X25519
/// (i.e. X-Wing) hybrid post-quantum recipient type").
enum MLKEM768X25519 {
    static let stanzaType = "mlkem768x25519"
    static let info = Data("age-encryption.org/mlkem768x25519".utf8)
    static let ciphersuite = HPKE.Ciphersuite(kem: .XWingMLKEM768X25519, kdf: .HKDF_SHA256, aead: .chaChaPoly)
    static let publicKeySize = 1216
    static let encapsulatedKeySize = 1120
    /// The X25519 share is the last 32 bytes of the encapsulated key.
    static let x25519ShareSize = 32
}

/// A hybrid post-quantum public key (`age1pq1…`), as written by age 1.3's `age-keygen -pq`.
public struct MLKEM768X25519Recipient: AgeRecipient, CustomStringConvertible, Hashable {
    let publicKey: [UInt8]

    /// Parses an `age1pq1…` Bech32 recipient.
    public init(parsing text: String) throws(AgeError) {
        let shown = String(text.prefix(20)) + "…"
        let decoded: (hrp: String, data: [UInt8])
        do {
            decoded = try Bech32.decode(text)
        } catch {
            throw .invalidRecipient("\"\(shown)\"", reason: "not valid Bech32 (\(error))")
        }
        guard decoded.hrp == "age1pq", decoded.data.count == MLKEM768X25519.publicKeySize else {
            throw .invalidRecipient(
                "\"\(shown)\"", reason: "not an age1pq1… key of \(MLKEM768X25519.publicKeySize) bytes")
        }
        publicKey = decoded.data
    }

    init(publicKey: [UInt8]) { self.publicKey = publicKey }

    /// The `age1pq1…` encoding.
    public var description: String { Bech32.encode(hrp: "age1pq", data: publicKey) }

    /// HPKE SealBase of the file key to this key; one stanza.
    public func wrap(_ fileKey: AgeFileKey) throws -> [AgeStanza] {
        let key = try XWingMLKEM768X25519.PublicKey(rawRepresentation: publicKey)
        var sender = try HPKE.Sender(
            recipientKey: key, ciphersuite: MLKEM768X25519.ciphersuite, info: MLKEM768X25519.info)
        let body = try sender.seal(fileKey.bytes)
        return [
            AgeStanza(
                type: MLKEM768X25519.stanzaType, arguments: [Base64.encode(sender.encapsulatedKey)], body: Array(body))
        ]
    }
}
