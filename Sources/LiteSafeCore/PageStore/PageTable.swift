/// One snapshot's pages: for each page number, the pack and slot holding its content, and its
/// `PageID`. The next backup compares each page's ID with the one its number had here, and
/// stores only pages whose content is new (`PageSnapshotWriter`).
///
/// The backing-up machine keeps its last table (`encoded()`), because it has no identity to
/// read the encrypted index back; a table that is lost only costs the next backup a full copy.
public struct PageTable: Sendable, Equatable, PreviousPages {
    public struct Entry: Sendable, Equatable {
        public var id: PageID
        /// An index into `packs`.
        public var pack: UInt32
        public var slot: UInt32
    }

    public var pageSize: Int
    /// Pack names (`PageStoreLayout.pack`), as entries refer to them.
    public var packs: [String]
    /// How many pages each of `packs` holds, live or not.
    public var slots: [UInt32]
    /// Page N's entry is at N - 1.
    public var entries: [Entry]

    public var pageCount: Int { entries.count }

    public func entry(_ index: Int) -> Entry? { index < entries.count ? entries[index] : nil }

    /// How many of each pack's pages this table reads.
    public var live: [UInt32] {
        var live = [UInt32](repeating: 0, count: packs.count)
        for entry in entries { live[Int(entry.pack)] += 1 }
        return live
    }

    private static let magic = Array("LSTABLE2".utf8)

    /// The table as the machine keeps it between backups.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        encode { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Hands the encoded table to `sink` in pieces of about 64 KiB (a table is 40 bytes a page:
    /// 10 MiB for 1 GiB of 4 KiB pages, never copied whole).
    func encode(into sink: ([UInt8]) throws -> Void) rethrows {
        var writer = ByteWriter()
        writer.bytes.reserveCapacity(72 << 10)
        writer.append(Self.magic)
        writer.append(UInt32(pageSize))
        writer.append(UInt32(packs.count))
        for (index, live) in live.enumerated() {
            writer.append(PageIndex.rawName(packs[index]))
            writer.append(slots[index])
            writer.append(live)
            if writer.bytes.count >= 64 << 10 { try flush() }
        }
        writer.append(UInt32(entries.count))
        for entry in entries {
            writer.append(entry.id.bytes)
            writer.append(entry.pack)
            writer.append(entry.slot)
            if writer.bytes.count >= 64 << 10 { try flush() }
        }
        try flush()
        func flush() throws {
            try sink(writer.bytes)
            writer.bytes.removeAll(keepingCapacity: true)
        }
    }

    /// The table `encoded()` wrote; `object` names it in errors.
    public init(encoded bytes: [UInt8], object: String) throws {
        var reader = ByteReader(bytes, object: object)
        try self.init(reading: { try Array(reader.take($0)) }, remaining: { reader.remaining }, object: object)
    }

    /// The table `encode` wrote, read by `take` (the next N bytes, or a throw past the end),
    /// with `remaining` saying how many bytes are left.
    init(reading take: (Int) throws -> [UInt8], remaining: () -> Int, object: String) throws {
        let count: Int
        (pageSize, packs, slots, _, count) = try Self.header(reading: take, remaining: remaining, object: object)
        entries = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            entries.append(try Self.entry(try take(Self.entrySize), packs: packs.count, object: object))
        }
    }

    /// The header of an encoded table (up to its entries), read by `take`; `remaining` says how
    /// many bytes are left after it.
    static func header(
        reading take: (Int) throws -> [UInt8], remaining: () -> Int, object: String
    ) throws -> (pageSize: Int, packs: [String], slots: [UInt32], live: [UInt32], count: Int) {
        func word() throws -> UInt32 {
            try take(4).withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        }
        guard try take(magic.count) == magic else {
            throw PageStoreError(.damagedObject, object: object, reason: "it is not a page table")
        }
        let pageSize = Int(try word())
        let packCount = Int(try word())
        var (packs, slots, live) = ([String](), [UInt32](), [UInt32]())
        for _ in 0..<packCount {
            packs.append(PageIndex.hexName(ArraySlice(try take(32))))
            slots.append(try word())
            live.append(try word())
        }
        let count = Int(try word())
        guard count * entrySize == remaining() else {
            throw PageStoreError(.damagedObject, object: object, reason: "its size does not match its page count")
        }
        return (pageSize, packs, slots, live, count)
    }

    /// An entry's encoded size: its ID, pack and slot.
    static let entrySize = PageID.size + 8

    /// The entry encoded in `bytes`, which must name one of `packs` packs.
    static func entry(_ bytes: [UInt8], packs: Int, object: String) throws -> Entry {
        let entry = bytes.withUnsafeBytes {
            Entry(
                id: PageID(bytes: $0),
                pack: UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 32, as: UInt32.self)),
                slot: UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 36, as: UInt32.self)))
        }
        guard Int(entry.pack) < packs else {
            throw PageStoreError(
                .damagedObject, object: object, reason: "an entry names pack \(entry.pack) of \(packs)")
        }
        return entry
    }

    public init(pageSize: Int, packs: [String], slots: [UInt32], entries: [Entry]) {
        self.pageSize = pageSize
        self.packs = packs
        self.slots = slots
        self.entries = entries
    }
}

/// The last snapshot's pages as a new snapshot's writer asks for them: page 1's entry, then
/// pages 2…N in ascending order (a `PageTable`, or the machine's kept table read as it goes).
public protocol PreviousPages {
    var pageSize: Int { get }
    var pageCount: Int { get }
    /// Pack names, as entries refer to them.
    var packs: [String] { get }
    /// How many pages each pack holds, and how many of them this snapshot reads.
    var slots: [UInt32] { get }
    var live: [UInt32] { get }
    /// Page `index + 1`'s entry; after index 0, indexes only ascend.
    func entry(_ index: Int) throws -> PageTable.Entry?
}
