import Age
import Crypto
import Zstd

/// A pack: pages of one size, zstd-compressed behind a table of their IDs, sealed as one object.
///
/// Its plaintext is a zstd skippable frame holding the table (`LSPACK1\n`, the page size, the
/// page count, each page's `PageID`), then one zstd frame of the pages in slot order, so
/// `age -d PACK | zstd -d` gives the pages themselves, one after the other.
enum Pack {
    static let tableMagic = Array("LSPACK1\n".utf8)
    /// zstd's skippable frame magic (any of 0x184D2A50…5F; this one is ours).
    static let skippableMagic: UInt32 = 0x184D_2A5E
    /// A pack is sealed once its compressed pages reach this size…
    static let targetCompressedSize = 8 << 20
    /// …or its pages this many bytes, whichever comes first (which bounds its table).
    static let maximumPlaintextSize = 32 << 20
}

/// Gathers pages into a pack until it is full, then seals it.
final class PackBuilder {
    let pageSize: Int
    private(set) var ids: [PageID] = []
    private var compressed: [UInt8] = []
    private var compressor: Compressor
    private let level: Int

    init(pageSize: Int, level: Int) throws {
        self.pageSize = pageSize
        self.level = level
        compressor = try Compressor(level: level)
    }

    var isEmpty: Bool { ids.isEmpty }

    var isFull: Bool {
        compressed.count >= Pack.targetCompressedSize || (ids.count + 1) * pageSize > Pack.maximumPlaintextSize
    }

    /// Adds a page; returns its slot.
    func add(_ page: UnsafeRawBufferPointer, id: PageID) throws -> UInt32 {
        precondition(page.count == pageSize, "a pack holds pages of one size")
        ids.append(id)
        try compressor.update(page) { compressed.append(contentsOf: $0) }
        return UInt32(ids.count - 1)
    }

    /// Seals the pages gathered so far; returns the pack's name (the SHA-256 of its stored
    /// bytes) and those bytes, and starts an empty pack.
    func seal(encryption: Encryption) throws -> (name: String, bytes: [UInt8]) {
        try compressor.finish { compressed.append(contentsOf: $0) }
        var table = ByteWriter()
        table.append(Pack.tableMagic)
        table.append(UInt32(pageSize))
        table.append(UInt32(ids.count))
        for id in ids { table.append(id.bytes) }
        var frame = ByteWriter()
        frame.append(Pack.skippableMagic)
        frame.append(UInt32(table.bytes.count))
        frame.append(table.bytes)
        let sealed = try PageSeal.seal([frame.bytes, compressed], encryption: encryption)
        ids.removeAll(keepingCapacity: true)
        compressed.removeAll(keepingCapacity: true)
        compressor = try Compressor(level: level)
        return (SHA256.hash(data: sealed).hexString, sealed)
    }
}

/// Reads a stored pack back.
enum PackReader {
    /// Opens the pack stored as `object`, checks its name is its bytes' SHA-256, and hands each
    /// page to `page` with its slot and the ID its table gives it; returns the table's IDs.
    static func read(
        _ stored: [UInt8], name: String, object: String, pageSize: Int, identities: [any AgeIdentity],
        page: (UInt32, PageID, UnsafeRawBufferPointer) throws -> Void
    ) throws -> [PageID] {
        guard SHA256.hash(data: stored).hexString == name else {
            throw PageStoreError(.damagedObject, object: object, reason: "its bytes do not hash to its name")
        }
        let plaintext = try PageSeal.open(stored, name: object, identities: identities)
        var reader = ByteReader(plaintext, object: object)
        guard try reader.uint32() == Pack.skippableMagic else {
            throw PageStoreError(.damagedObject, object: object, reason: "it does not start with a pack table")
        }
        let tableSize = Int(try reader.uint32())
        let tableEnd = reader.offset + tableSize
        guard tableEnd <= plaintext.count else {
            throw PageStoreError(.damagedObject, object: object, reason: "its table runs past its end")
        }
        try reader.expect(Pack.tableMagic, what: "a pack")
        let storedPageSize = Int(try reader.uint32())
        let count = Int(try reader.uint32())
        guard storedPageSize == pageSize else {
            throw PageStoreError(
                .damagedObject, object: object,
                reason: "its pages are \(storedPageSize) bytes, the snapshot's \(pageSize)")
        }
        guard count * PageID.size == tableEnd - reader.offset else {
            throw PageStoreError(
                .damagedObject, object: object, reason: "its table's size does not match its page count")
        }
        var ids: [PageID] = []
        ids.reserveCapacity(count)
        for _ in 0..<count { ids.append(try reader.take(PageID.size).withUnsafeBytes { PageID(bytes: $0) }) }
        let decompressor = try Decompressor(limit: Int64(count) * Int64(pageSize))
        var buffer = [UInt8](repeating: 0, count: pageSize)
        var filled = 0
        var slot = 0
        func take(_ piece: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < piece.count {
                let n = min(pageSize - filled, piece.count - offset)
                buffer.withUnsafeMutableBytes {
                    $0.baseAddress!.advanced(by: filled).copyMemory(from: piece.baseAddress! + offset, byteCount: n)
                }
                filled += n
                offset += n
                if filled == pageSize {
                    try buffer.withUnsafeBytes { try page(UInt32(slot), ids[slot], $0) }
                    slot += 1
                    filled = 0
                }
            }
        }
        do {
            try plaintext.withUnsafeBytes {
                try decompressor.update(UnsafeRawBufferPointer(rebasing: $0[tableEnd...]), into: take)
            }
            try decompressor.finish()
        } catch let error as Decompressor.Failure {
            throw PageStoreError(.damagedObject, object: object, reason: "its pages do not decompress", cause: error)
        }
        guard slot == count, filled == 0 else {
            throw PageStoreError(.damagedObject, object: object, reason: "it holds \(slot) pages, its table \(count)")
        }
        return ids
    }
}
