/// One-shot helpers over `AgeEncryptor` and `AgeDecryptor` for data that fits in memory.
public enum Age {
    /// Encrypts `plaintext` to `recipients` as a binary age file.
    public static func encrypt(_ plaintext: [UInt8], to recipients: [any AgeRecipient]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(plaintext.count + plaintext.count / STREAM.chunkSize * STREAM.tagSize + 1024)
        let encryptor = try AgeEncryptor(recipients: recipients)
        try plaintext.withUnsafeBytes { try encryptor.update($0) { out.append(contentsOf: $0) } }
        try encryptor.finish { out.append(contentsOf: $0) }
        return out
    }

    /// Decrypts a binary or armored age file; throws rather than return partial plaintext.
    public static func decrypt(_ ciphertext: [UInt8], with identities: [any AgeIdentity]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ciphertext.count)
        let decryptor = AgeDecryptor(identities: identities)
        try ciphertext.withUnsafeBytes { try decryptor.update($0) { out.append(contentsOf: $0) } }
        try decryptor.finish { out.append(contentsOf: $0) }
        return out
    }
}
