/// The 128-bit symmetric key that encrypts one file's payload (spec "File key").
public struct AgeFileKey: Sendable, Equatable {
    /// The key's size in bytes.
    public static let byteCount = 16

    /// The 16 key bytes.
    public let bytes: [UInt8]

    /// Wraps exactly 16 bytes; anything else is a malformed header.
    public init(bytes: [UInt8]) throws(AgeError) {
        guard bytes.count == Self.byteCount else {
            throw .malformedHeader("a file key must be 16 bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// A fresh key from the system CSPRNG.
    static func random() -> AgeFileKey {
        try! AgeFileKey(bytes: SecureRandom.bytes(byteCount))
    }
}
