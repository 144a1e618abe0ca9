import Zstd

/// A page snapshot's index, stored encrypted as its data file (`<stem>.pages.age`): the database's shape
/// and hashes, the packs it reads, and for each run of consecutive pages the pack and first
/// slot holding them. Runs keep it small: after 1 % churn a 1 GiB database's index is a few
/// hundred KiB before compression; page IDs stay in the packs' tables.
public struct PageIndex: Sendable, Equatable {
    /// Pages `firstPage ..< firstPage + count` are slots `firstSlot ...` of pack `pack`.
    public struct Run: Sendable, Equatable {
        public var firstPage: UInt32
        public var count: UInt32
        public var pack: UInt32
        public var firstSlot: UInt32
    }

    public var pageSize: Int
    public var pageCount: Int
    /// SHA-256 of page 1 and of pages 2…N, as a captured backup's manifest has them, so
    /// `head -c`/`tail -c` | `sha256sum` check a restored file by hand.
    public var firstPageSHA256: [UInt8]
    public var afterFirstPageSHA256: [UInt8]
    public var walMode: Bool
    /// The `PageKey`'s name in the store (`PageStoreLayout.key`), which checks each page's ID.
    public var keyName: String
    public var packs: [String]
    public var runs: [Run]

    private static let magic = Array("LSINDEX1".utf8)

    /// The runs of `table`, each as long as its pages sit in consecutive slots of one pack.
    init(
        table: PageTable, firstPageSHA256: [UInt8], afterFirstPageSHA256: [UInt8], walMode: Bool, keyName: String
    ) {
        self.keyName = keyName
        pageSize = table.pageSize
        pageCount = table.pageCount
        self.firstPageSHA256 = firstPageSHA256
        self.afterFirstPageSHA256 = afterFirstPageSHA256
        self.walMode = walMode
        packs = table.packs
        runs = []
        for (index, entry) in table.entries.enumerated() {
            if var last = runs.last, last.pack == entry.pack, last.firstSlot + last.count == entry.slot {
                last.count += 1
                runs[runs.count - 1] = last
            } else {
                runs.append(Run(firstPage: UInt32(index + 1), count: 1, pack: entry.pack, firstSlot: entry.slot))
            }
        }
    }

    /// The index's plaintext: its fields, zstd-compressed.
    func encoded() throws -> [UInt8] {
        var writer = ByteWriter()
        writer.append(Self.magic)
        writer.append(UInt32(pageSize))
        writer.append(UInt32(pageCount))
        writer.append(firstPageSHA256)
        writer.append(afterFirstPageSHA256)
        writer.append(UInt32(walMode ? 1 : 0))
        writer.append(UInt32(keyName.utf8.count))
        writer.append(Array(keyName.utf8))
        writer.append(UInt32(packs.count))
        for pack in packs { writer.append(Self.rawName(pack)) }
        writer.append(UInt32(runs.count))
        for run in runs {
            writer.append(run.firstPage)
            writer.append(run.count)
            writer.append(run.pack)
            writer.append(run.firstSlot)
        }
        let compressor = try Compressor(level: 3)
        var compressed: [UInt8] = []
        try writer.bytes.withUnsafeBytes { try compressor.update($0) { compressed.append(contentsOf: $0) } }
        try compressor.finish { compressed.append(contentsOf: $0) }
        return compressed
    }

    /// The index `encoded()` wrote, checked: runs cover pages 1…N once, in order, each naming
    /// a pack the index lists. `object` names it in errors.
    init(encoded compressed: [UInt8], object: String) throws {
        // An index is 16 bytes a run at most, a run a page at most, plus the pack names.
        var plain: [UInt8] = []
        do {
            let decompressor = try Decompressor(limit: 64 << 20 + Int64(compressed.count) * 64)
            try compressed.withUnsafeBytes { try decompressor.update($0) { plain.append(contentsOf: $0) } }
            try decompressor.finish()
        } catch let error as Decompressor.Failure {
            throw PageStoreError(.damagedObject, object: object, reason: "it does not decompress", cause: error)
        }
        var reader = ByteReader(plain, object: object)
        try reader.expect(Self.magic, what: "a page snapshot index")
        pageSize = Int(try reader.uint32())
        pageCount = Int(try reader.uint32())
        firstPageSHA256 = Array(try reader.take(32))
        afterFirstPageSHA256 = Array(try reader.take(32))
        walMode = try reader.uint32() & 1 == 1
        let keyNameSize = Int(try reader.uint32())
        guard keyNameSize <= 64 else {
            throw PageStoreError(.damagedObject, object: object, reason: "its key name is \(keyNameSize) bytes long")
        }
        keyName = String(decoding: try reader.take(keyNameSize), as: UTF8.self)
        guard BackupName.isPlainName(keyName) else {
            throw PageStoreError(.damagedObject, object: object, reason: "its key name is not a plain name")
        }
        let packCount = Int(try reader.uint32())
        packs = try (0..<packCount).map { _ in Self.hexName(try reader.take(32)) }
        let runCount = Int(try reader.uint32())
        guard runCount * 16 == reader.remaining else {
            throw PageStoreError(.damagedObject, object: object, reason: "its size does not match its run count")
        }
        guard (512...65536).contains(pageSize), pageSize & (pageSize - 1) == 0 else {
            throw PageStoreError(.damagedObject, object: object, reason: "its page size \(pageSize) is not SQLite's")
        }
        runs = []
        runs.reserveCapacity(runCount)
        var next: UInt32 = 1
        for _ in 0..<runCount {
            let run = Run(
                firstPage: try reader.uint32(), count: try reader.uint32(), pack: try reader.uint32(),
                firstSlot: try reader.uint32())
            guard run.firstPage == next, run.count > 0, Int(run.pack) < packs.count,
                UInt64(run.firstPage) + UInt64(run.count) <= UInt64(pageCount) + 1,
                UInt64(run.firstSlot) + UInt64(run.count) <= UInt64(UInt32.max)
            else {
                throw PageStoreError(
                    .damagedObject, object: object, reason: "its runs do not cover pages 1…\(pageCount) in order")
            }
            next = run.firstPage + run.count
            runs.append(run)
        }
        guard Int(next) == pageCount + 1 else {
            throw PageStoreError(
                .damagedObject, object: object, reason: "its runs cover pages 1…\(next - 1), not 1…\(pageCount)")
        }
    }

    static func rawName(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            bytes.append(UInt8(hexDigit(high) << 4 | hexDigit(low)))
        }
        precondition(bytes.count == 32, "a pack name is 64 hex digits")
        return bytes
    }

    private static func hexDigit(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : c - 87 }

    static func hexName(_ raw: ArraySlice<UInt8>) -> String {
        raw.map { String($0 >> 4, radix: 16) + String($0 & 0x0f, radix: 16) }.joined()
    }
}
