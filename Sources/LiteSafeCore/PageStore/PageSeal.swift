import Age

/// How page store objects are sealed: encrypted with age to the recipients (what stock `age -d`
/// opens), or stored as they are when the configuration says `encryption: none`.
enum PageSeal {
    private static let ageMagic = Array("age-encryption.org/v1\n".utf8)

    /// `plaintext`, encrypted to the recipients of `encryption`.
    static func seal(_ plaintext: [UInt8], encryption: Encryption) throws -> [UInt8] {
        try seal([plaintext], encryption: encryption)
    }

    /// The concatenation of `parts`, encrypted to the recipients of `encryption` (with no
    /// copy of the whole plaintext made first).
    static func seal(_ parts: [[UInt8]], encryption: Encryption) throws -> [UInt8] {
        let size = parts.reduce(0) { $0 + $1.count }
        var sealed: [UInt8] = []
        sealed.reserveCapacity(size + size / 4096 + 1024)
        guard let recipients = encryption.recipients else {
            for part in parts { sealed.append(contentsOf: part) }
            return sealed
        }
        let encryptor = try AgeEncryptor(recipients: recipients)
        for part in parts {
            try part.withUnsafeBytes { try encryptor.update($0) { sealed.append(contentsOf: $0) } }
        }
        try encryptor.finish { sealed.append(contentsOf: $0) }
        return sealed
    }

    /// The plaintext of the stored object `name`: decrypted with `identities` when it is an age file.
    static func open(_ stored: [UInt8], name: String, identities: [any AgeIdentity]) throws -> [UInt8] {
        guard stored.starts(with: ageMagic) else { return stored }
        guard !identities.isEmpty else {
            throw PageStoreError(.wrongKey, object: name, reason: "it is encrypted and no identity was given")
        }
        var plaintext: [UInt8] = []
        plaintext.reserveCapacity(stored.count)
        let decryptor = AgeDecryptor(identities: identities, armor: .binary)
        do {
            try stored.withUnsafeBytes { try decryptor.update($0) { plaintext.append(contentsOf: $0) } }
            try decryptor.finish { plaintext.append(contentsOf: $0) }
        } catch let error as AgeError {
            if case .noIdentityMatched = error {
                throw PageStoreError(.wrongKey, object: name, reason: "none of the identities opens it", cause: error)
            }
            throw PageStoreError(.damagedObject, object: name, reason: "it does not decrypt", cause: error)
        }
        return plaintext
    }
}
