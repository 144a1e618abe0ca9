import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A passphrase to decrypt with, refusing files that demand more than 2^`maxWorkFactor` work.
public struct ScryptIdentity: AgeIdentity {
    private let passphrase: String
    /// The largest work factor this identity will compute (22 ≈ 4 GiB of memory).
    public let maxWorkFactor: Int

    public init(passphrase: String, maxWorkFactor: Int = 22) {
        self.passphrase = passphrase
        self.maxWorkFactor = maxWorkFactor
    }

    public func unwrap(_ stanzas: [AgeStanza]) throws -> AgeFileKey? {
        for stanza in stanzas where stanza.type == "scrypt" {
            // Spec: an scrypt stanza MUST be the only stanza in the header.
            guard stanzas.count == 1 else { throw AgeError.scryptMustBeAlone }
            guard stanza.arguments.count == 2 else {
                throw AgeError.malformedHeader("an scrypt stanza must have a salt and a work factor")
            }
            guard let salt = Base64.decodeUnpadded(stanza.arguments[0]), salt.count == 16 else {
                throw AgeError.malformedHeader("an scrypt stanza's salt must be 16 bytes in canonical base64")
            }
            let workFactor = try Self.parseWorkFactor(stanza.arguments[1])
            guard workFactor <= maxWorkFactor else {
                throw AgeError.scryptWorkFactorTooHigh(workFactor, max: maxWorkFactor)
            }
            // Checked before the expensive KDF and before decrypting (partitioning oracles).
            guard stanza.body.count == 32 else {
                throw AgeError.malformedHeader("an scrypt stanza's body must be 32 bytes, got \(stanza.body.count)")
            }
            let key = try ScryptKDF.wrapKey(passphrase: passphrase, salt: salt, workFactor: workFactor)
            return Primitives.unwrap(stanza.body, key: key)
        }
        return nil
    }

    /// Spec: decimal, digits only, no leading zero (`^[1-9][0-9]*$`).
    static func parseWorkFactor(_ text: String) throws(AgeError) -> Int {
        let digits = Array(text.utf8)
        guard let first = digits.first, first >= UInt8(ascii: "1"), first <= UInt8(ascii: "9"),
            digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else {
            throw .malformedHeader("an scrypt work factor must be a decimal number without leading zeros")
        }
        guard digits.count <= 2, let value = Int(text) else {
            throw .malformedHeader("the scrypt work factor \(text.prefix(24)) is out of range")
        }
        return value
    }
}
