/// One snapshot's pages: for each page number, the pack and slot holding its content, and its
/// `PageID`. The next backup compares each page's ID with the one its number had here, and
/// stores only pages whose content is new (`PageSnapshotWriter`).
///
/// The backing-up machine keeps its last table (`encoded()`), because it has no identity to
/// read the encrypted index back; a table that is lost only costs the next backup a full copy.
public struct PageTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var id: PageID
        /// An index into `packs`.
        public var pack: UInt32
        public var slot: UInt32
    }

    public var pageSize: Int
    /// Pack names (`PageStoreLayout.pack`), as entries refer to them.
    public var packs: [String]
    /// Page N's entry is at N - 1.
    public var entries: [Entry]

    public var pageCount: Int { entries.count }

    private static let magic = Array("LSTABLE1".utf8)

    /// The table as the machine keeps it between backups.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.append(Self.magic)
        writer.append(UInt32(pageSize))
        writer.append(UInt32(packs.count))
        for pack in packs { writer.append(PageIndex.rawName(pack)) }
        writer.append(UInt32(entries.count))
        writer.bytes.reserveCapacity(writer.bytes.count + entries.count * (PageID.size + 8))
        for entry in entries {
            writer.append(entry.id.bytes)
            writer.append(entry.pack)
            writer.append(entry.slot)
        }
        return writer.bytes
    }

    /// The table `encoded()` wrote; `object` names it in errors.
    public init(encoded bytes: [UInt8], object: String) throws {
        var reader = ByteReader(bytes, object: object)
        try reader.expect(Self.magic, what: "a page table")
        pageSize = Int(try reader.uint32())
        let packCount = Int(try reader.uint32())
        packs = try (0..<packCount).map { _ in PageIndex.hexName(try reader.take(32)) }
        let count = Int(try reader.uint32())
        guard count * (PageID.size + 8) == reader.remaining else {
            throw PageStoreError(.damagedObject, object: object, reason: "its size does not match its page count")
        }
        entries = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let id = try reader.take(PageID.size).withUnsafeBytes { PageID(bytes: $0) }
            let entry = Entry(id: id, pack: try reader.uint32(), slot: try reader.uint32())
            guard Int(entry.pack) < packs.count else {
                throw PageStoreError(
                    .damagedObject, object: object, reason: "an entry names pack \(entry.pack) of \(packs.count)")
            }
            entries.append(entry)
        }
    }

    public init(pageSize: Int, packs: [String], entries: [Entry]) {
        self.pageSize = pageSize
        self.packs = packs
        self.entries = entries
    }
}
