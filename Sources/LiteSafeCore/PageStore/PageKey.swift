import Age
import Crypto

/// The key that names a page by its content without giving the content away: a page's
/// `PageID` is HMAC-SHA256 under this key, so someone holding a store's page lists but not the
/// key can neither confirm a guess at a page nor tell two databases' equal pages apart
/// (restic's reason for keyed IDs). The key is stored beside the packs, encrypted to the
/// recipients (`PageKey.sealed`), and kept by the backing-up machine, which has no identity.
public struct PageKey: Sendable, Equatable {
    /// The key's length in bytes.
    public static let size = 32

    let bytes: [UInt8]
    /// HMAC's state after the key, copied for each page rather than derived again.
    private let keyed: HMAC<SHA256>

    public static func == (lhs: PageKey, rhs: PageKey) -> Bool { lhs.bytes == rhs.bytes }

    /// A new random key.
    public static func generate() -> PageKey {
        var generator = SystemRandomNumberGenerator()
        return PageKey(unchecked: (0..<size).map { _ in generator.next() })
    }

    /// The key in `bytes`, which must be `PageKey.size` long.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.size else {
            throw PageStoreError(.damagedObject, reason: "a page key is \(Self.size) bytes, not \(bytes.count)")
        }
        self.bytes = bytes
        keyed = HMAC<SHA256>(key: SymmetricKey(data: bytes))
    }

    private init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
        keyed = HMAC<SHA256>(key: SymmetricKey(data: bytes))
    }

    /// The key as stored (`PageStoreLayout.key`): encrypted to the recipients, so restoring
    /// and verifying need an identity, or as it is under `encryption: none`.
    public func sealed(to encryption: Encryption) throws -> [UInt8] {
        try PageSeal.seal(bytes, encryption: encryption)
    }

    /// The key stored in `objects` as `keys/<name>`, opened with `identities`.
    public init(named name: String, from objects: any PageObjects, identities: [any AgeIdentity]) throws {
        let object = PageStoreLayout.key(name)
        try self.init(bytes: try PageSeal.open(try objects.read(object), name: object, identities: identities))
    }

    /// A name for the key in the store that says nothing of it: random, 16 hex digits.
    public static func newName() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 16).leftPadded(to: 16)
    }

    /// The ID of a page's content.
    public func identity(of page: UnsafeRawBufferPointer) -> PageID {
        var mac = keyed
        mac.update(data: page)
        return mac.finalize().withUnsafeBytes { PageID(bytes: $0) }
    }
}

/// A page's content ID under a `PageKey`: 32 bytes, kept as four words so a page table costs
/// 40 bytes a page.
public struct PageID: Hashable, Sendable, CustomStringConvertible {
    public static let size = 32
    var words: (UInt64, UInt64, UInt64, UInt64)

    /// All zeros: no page's ID, in practice.
    static let zero = PageID(words: (0, 0, 0, 0))

    private init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    /// The ID in the first 32 bytes of `bytes`.
    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= Self.size, "a page ID is \(Self.size) bytes")
        words = (
            bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        )
    }

    /// The 32 bytes, in order.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.size)
        out.withUnsafeMutableBytes {
            $0.storeBytes(of: words.0, toByteOffset: 0, as: UInt64.self)
            $0.storeBytes(of: words.1, toByteOffset: 8, as: UInt64.self)
            $0.storeBytes(of: words.2, toByteOffset: 16, as: UInt64.self)
            $0.storeBytes(of: words.3, toByteOffset: 24, as: UInt64.self)
        }
        return out
    }

    public static func == (lhs: PageID, rhs: PageID) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }

    public var description: String {
        bytes.map { String($0 >> 4, radix: 16) + String($0 & 0x0f, radix: 16) }.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
