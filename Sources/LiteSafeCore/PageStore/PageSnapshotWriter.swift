import Crypto

/// Writes one page snapshot: takes the database's pages as a capture or a staged copy yields
/// them and stores each page whose content is new since `previous` in packs (each stored as it
/// fills); `finish` returns the encrypted index, which the backup publishes as its data file
/// with a manifest naming the packs, as any backup is published.
///
/// Pages 2…N come in ascending order, page 1 first or last (a capture writes it last). A page
/// is new when its `PageID` differs from the one its number had in `previous`: SQLite changes
/// pages in place, so comparing by number finds the unchanged ones with no lookup table and a
/// page table's memory (40 bytes a page) at most.
public final class PageSnapshotWriter {
    /// What a finished snapshot is: its encrypted index (the backup's data file), what its
    /// manifest records, and the table the next backup compares with.
    public struct Result: Sendable {
        public let sealedIndex: [UInt8]
        public let facts: PageFacts
        public let table: PageTable
        /// Hex SHA-256 of page 1 and of pages 2…N.
        public let firstPageSHA256: String
        public let afterFirstPageSHA256: String
    }

    private let objects: any PageObjects
    private let key: PageKey
    private let keyName: String
    private let encryption: Encryption
    private let pageSize: Int
    private let previous: (any PreviousPages)?
    private var entries: [PageTable.Entry]
    private var packs: [String] = []
    private var slots: [UInt32] = []
    /// `previous`'s packs whose unchanged pages are stored again (`rewriting(_:)`).
    private var rewrite: Set<UInt32> = []
    private var rewrittenPages = 0
    /// `previous`'s pack indexes, as this snapshot numbers them.
    private var reusedPacks: [UInt32: UInt32] = [:]
    private var newPacks: [String] = []
    private var newBytes: Int64 = 0
    private var newPages = 0
    private var reusedPages = 0
    private let builder: PackBuilder
    /// The index in `packs` of the pack `builder` fills.
    private var building: UInt32?
    private var firstPage: [UInt8]?
    private var afterFirstPage = SHA256()
    private var nextPage: UInt32 = 2

    private static let unset = PageTable.Entry(id: .zero, pack: .max, slot: .max)

    /// - Parameters:
    ///   - level: zstd's level for the packs.
    ///   - repacks: whether pages still read from packs mostly garbage are stored again
    ///     (`rewriting(_:)`): only worth it where retention will expire the old snapshots.
    ///   - previous: the last snapshot's table, if this machine kept it; a table of another page
    ///     size is ignored (a `VACUUM` that changed it rewrote every page anyway).
    public init(
        objects: any PageObjects, key: PageKey, keyName: String, encryption: Encryption, level: Int, pageSize: Int,
        previous: (any PreviousPages)?, pageCountHint: Int? = nil, repacks: Bool = true
    ) throws {
        self.objects = objects
        self.key = key
        self.keyName = keyName
        self.encryption = encryption
        self.pageSize = pageSize
        self.previous = previous?.pageSize == pageSize ? previous : nil
        // Moving pages out of an old pack pays only when the snapshots reading it expire.
        rewrite = repacks ? self.previous.map(Self.rewriting) ?? [] : []
        // Page 1's entry, filled when it comes; the others are appended in order.
        entries = [Self.unset]
        // With a little room for growth: a table past its capacity is copied whole.
        entries.reserveCapacity(max(pageCountHint ?? self.previous?.pageCount ?? 1, 1) + 1024)
        builder = try PackBuilder(pageSize: pageSize, level: level)
    }

    /// Takes page `number`.
    public func add(pageNumber number: UInt32, page: UnsafeRawBufferPointer) throws {
        guard page.count == pageSize else {
            throw PageStoreError(.invalidInput, reason: "page \(number) is \(page.count) bytes, not \(pageSize)")
        }
        if number == 1 {
            guard firstPage == nil else { throw PageStoreError(.invalidInput, reason: "page 1 came twice") }
            firstPage = Array(page)
        } else {
            guard number == nextPage, number < .max else {
                throw PageStoreError(.invalidInput, reason: "page \(number) came where page \(nextPage) was due")
            }
            afterFirstPage.update(bufferPointer: page)
            nextPage += 1
        }
        let id = key.identity(of: page)
        let index = Int(number) - 1
        if let previous, index < previous.pageCount, let old = try previous.entry(index), old.id == id {
            if !rewrite.contains(old.pack) {
                place(PageTable.Entry(id: id, pack: reusedPack(old.pack), slot: old.slot), at: index)
                reusedPages += 1
                return
            }
            rewrittenPages += 1
        }
        let pack: UInt32
        if let building {
            pack = building
        } else {
            pack = UInt32(packs.count)
            packs.append("")
            slots.append(0)
            building = pack
        }
        place(PageTable.Entry(id: id, pack: pack, slot: try builder.add(page, id: id)), at: index)
        newPages += 1
        if builder.isFull { try sealPack() }
    }

    /// Stores the last pack and returns the snapshot's sealed index and facts; nothing refers
    /// to the packs until the caller publishes the index with its manifest.
    public func finish(walMode: Bool) throws -> Result {
        guard let firstPage else {
            throw PageStoreError(.invalidInput, reason: "the snapshot ended before page 1 came")
        }
        // The header's page count, when valid (its version-valid-for number equals the change
        // counter: fileformat2.html, 1.3.8), must be the pages that came.
        func word(_ offset: Int) -> UInt32 {
            firstPage[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        if firstPage.count >= 100, word(92) == word(24), word(28) != 0, Int(word(28)) != pageCount {
            throw PageStoreError(
                .invalidInput, reason: "the header says \(word(28)) pages, and \(pageCount) came")
        }
        if !builder.isEmpty { try sealPack() }
        let table = PageTable(pageSize: pageSize, packs: packs, slots: slots, entries: entries)
        let first = SHA256.hash(data: firstPage)
        let rest = afterFirstPage.finalize()
        let index = PageIndex(
            table: table, firstPageSHA256: Array(first), afterFirstPageSHA256: Array(rest), walMode: walMode,
            keyName: keyName)
        let sealedIndex = try PageSeal.seal(try index.encoded(), encryption: encryption)
        let facts = PageFacts(
            key: keyName, packs: packs, newPacks: newPacks.count, newBytes: newBytes, newPages: newPages,
            reusedPages: reusedPages, rewrittenPages: rewrittenPages)
        return Result(
            sealedIndex: sealedIndex, facts: facts, table: table, firstPageSHA256: first.hexString,
            afterFirstPageSHA256: rest.hexString)
    }

    /// The number of pages taken so far.
    public var pageCount: Int { entries.count }

    private func place(_ entry: PageTable.Entry, at index: Int) {
        if index == 0 { entries[0] = entry } else { entries.append(entry) }
    }

    /// The packs of `previous` whose pages still in use are stored again, into new packs, so
    /// that the old ones become garbage once older snapshots expire and the sweep can remove
    /// them: repacking with no identity, from the live database. A pack qualifies when less
    /// than half of it is still read, or when it is one of more than 16 small packs (under 64
    /// pages: the packs of frequent backups with little change) which are merged this way.
    static func rewriting(_ previous: any PreviousPages) -> Set<UInt32> {
        var rewrite: Set<UInt32> = []
        var small: [UInt32] = []
        for (index, slots) in previous.slots.enumerated() where index < previous.live.count {
            let live = previous.live[index]
            if live == 0 { continue }
            if live * 2 < slots { rewrite.insert(UInt32(index)) }
            if slots < 64 { small.append(UInt32(index)) }
        }
        if small.count > 16 { rewrite.formUnion(small) }
        return rewrite
    }

    /// `previous`'s pack `old`, as this snapshot numbers its packs.
    private func reusedPack(_ old: UInt32) -> UInt32 {
        if let mapped = reusedPacks[old] { return mapped }
        let mapped = UInt32(packs.count)
        packs.append(previous!.packs[Int(old)])
        slots.append(previous!.slots[Int(old)])
        reusedPacks[old] = mapped
        return mapped
    }

    private func sealPack() throws {
        guard let building else { return }
        slots[Int(building)] = UInt32(builder.ids.count)
        let (name, bytes) = try builder.seal(encryption: encryption)
        // A pack of that name holds these very bytes (its name is their hash): written by an
        // interrupted run, it is whole, since objects are published whole.
        if try objects.create(PageStoreLayout.pack(name), bytes: bytes) {
            newBytes += Int64(bytes.count)
        }
        CrashPoint.backupAfterPack.reached()
        packs[Int(building)] = name
        newPacks.append(name)
        self.building = nil
    }
}
