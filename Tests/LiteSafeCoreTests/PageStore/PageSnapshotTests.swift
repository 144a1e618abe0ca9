import Age
import Foundation
import LiteSafeCore
import TestSupport
import Testing

/// Page snapshots of real SQLite databases: stored, changed, stored again, restored byte for byte.
@Suite("Page snapshots")
struct PageSnapshotTests {
    let folder: TemporaryDirectory
    let source: String
    let identity = X25519Identity.generate()
    let key = PageKey.generate()
    let objects = InMemoryPageObjects()
    let keyName = PageKey.newName()
    /// Each snapshot's stored index, by stem: what the backup would publish as its data file.
    let indexes = IndexShelf()

    final class IndexShelf: @unchecked Sendable {
        var byStem: [String: [UInt8]] = [:]
    }

    init() throws {
        folder = try TemporaryDirectory("litesafe-pages")
        source = folder.path + "/app.db"
        // About 500 pages of 4 KiB: rows of 1,000 random bytes, four to a page.
        try Fixtures.makeDatabase(at: source, journalMode: "delete", rows: 2000, rowBytes: 1000)
    }

    var encryption: Encryption { .recipients([identity.recipient]) }

    /// The database file's pages, as `PageSnapshotWriter` takes them.
    func pages(of path: String) throws -> (size: Int, pages: [[UInt8]]) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let size = Int(bytes[16]) << 8 | Int(bytes[17])
        let pageSize = size == 1 ? 65536 : size
        return (pageSize, stride(from: 0, to: bytes.count, by: pageSize).map { Array(bytes[$0..<$0 + pageSize]) })
    }

    /// Writes a snapshot of the file at `path`: pages 2…N, then page 1 last (as a capture does),
    /// or in file order.
    @discardableResult
    func snapshot(
        _ stem: String, of path: String, previous: PageTable? = nil, pageOneLast: Bool = true
    ) throws -> PageSnapshotWriter.Result {
        let (pageSize, pages) = try pages(of: path)
        let writer = try PageSnapshotWriter(
            objects: objects, key: key, keyName: keyName, encryption: encryption, level: 3, pageSize: pageSize,
            previous: previous)
        let order = pageOneLast ? Array(1..<pages.count) + [0] : Array(0..<pages.count)
        for index in order {
            try pages[index].withUnsafeBytes { try writer.add(pageNumber: UInt32(index + 1), page: $0) }
        }
        _ = try objects.create(PageStoreLayout.key(keyName), bytes: try key.sealed(to: encryption))
        let result = try writer.finish(walMode: false)
        indexes.byStem[stem] = result.sealedIndex
        return result
    }

    func restore(_ stem: String, identities: [any AgeIdentity]? = nil) throws -> [UInt8] {
        let out = folder.path + "/restored-\(stem)-\(UUID().uuidString).db"
        let fd = open(out, O_RDWR | O_CREAT | O_EXCL, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        let restored = try PageSnapshotRestorer.restore(
            sealedIndex: try #require(indexes.byStem[stem]), object: stem, from: objects,
            identities: identities ?? [identity], into: fd, path: out)
        #expect(restored.size == Int64(restored.index.pageCount * restored.index.pageSize))
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
    }

    func copy(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    func update(_ sql: String) throws {
        let result = try Subprocess.run("sqlite3", [source, sql])
        try #require(result.status == 0, "\(result)")
    }

    @Test("a second snapshot after 1 % of rows changed stores only the changed pages, and both restore byte for byte")
    func incremental() throws {
        let first = try snapshot("s1", of: source)
        let firstBytes = try copy(source)
        #expect(first.facts.newPages == first.table.pageCount && first.facts.reusedPages == 0)
        #expect(first.facts.packs.count == first.facts.newPacks)
        try update("UPDATE items SET body = randomblob(1000) WHERE id % 100 = 7")
        let secondBytes = try copy(source)
        let second = try snapshot("s2", of: source, previous: first.table)
        // 20 rows changed: their 20 pages and page 1 (its change counter), perhaps an interior page.
        #expect(second.facts.newPages >= 21 && second.facts.newPages <= 24, "\(second.facts.newPages)")
        #expect(second.facts.reusedPages == second.table.pageCount - second.facts.newPages)
        #expect(
            second.facts.newBytes * 10 < first.facts.newBytes,
            "\(second.facts.newBytes) vs \(first.facts.newBytes)")
        #expect(second.facts.newPacks == 1 && second.facts.packs.count == 1 + first.facts.packs.count)
        #expect(Set(first.facts.packs).isSubset(of: second.facts.packs))
        #expect(try restore("s1") == firstBytes)
        #expect(try restore("s2") == secondBytes)
    }

    @Test("a snapshot with no changes stores no pack, and its index stays small")
    func unchanged() throws {
        let first = try snapshot("s1", of: source)
        let second = try snapshot("s2", of: source, previous: first.table)
        #expect(second.facts.newPages == 0 && second.facts.newPacks == 0 && second.facts.newBytes == 0)
        #expect(second.facts.packs == first.facts.packs)
        #expect(second.sealedIndex.count < 1024, "\(second.sealedIndex.count)")
        #expect(try restore("s2") == copy(source))
    }

    @Test("stock age and zstd open a pack: the first snapshot in file order is the database itself")
    func stockTools() throws {
        let first = try snapshot("s1", of: source, pageOneLast: false)
        try #require(first.facts.packs.count == 1)
        let pack = folder.path + "/p.pack"
        try Data(try objects.read(PageStoreLayout.pack(first.facts.packs[0]))).write(
            to: URL(fileURLWithPath: pack))
        let keyFile = folder.path + "/identity.txt"
        try identity.encoded.write(toFile: keyFile, atomically: false, encoding: .utf8)
        let out = folder.path + "/stock.db"
        let result = try Subprocess.run(
            "sh", ["-c", "age -d -i \"$1\" \"$2\" | zstd -d -q -o \"$3\"", "sh", keyFile, pack, out])
        try #require(result.status == 0, "\(result)")
        #expect(try copy(out) == copy(source))
    }

    @Test("a damaged or missing pack fails the restore naming every page it held; other snapshots' packs are untouched")
    func damagedPack() throws {
        let first = try snapshot("s1", of: source)
        try update("UPDATE items SET body = randomblob(1000) WHERE id = 1000")
        let second = try snapshot("s2", of: source, previous: first.table)
        let added = try #require(second.facts.packs.last)
        let held = second.table.entries.enumerated()
            .filter { second.table.packs[Int($0.element.pack)] == added }.map { UInt32($0.offset + 1) }
        let name = PageStoreLayout.pack(added)
        var bytes = try objects.read(name)
        bytes[bytes.count / 2] ^= 0x01
        objects.replace(name, with: bytes)
        let damaged = #expect(throws: PageStoreError.self) { try restore("s2") }
        #expect(damaged?.code == .damagedPages)
        #expect(damaged?.pages == held, "\(String(describing: damaged))")
        try objects.delete(name)
        let missing = #expect(throws: PageStoreError.self) { try restore("s2") }
        #expect(missing?.pages == held)
        #expect(missing?.description.contains(added) == true)
        #expect(try restore("s1").count == first.table.pageCount * first.table.pageSize)
    }

    @Test("the wrong identity opens nothing: wrongKey, and no page is written")
    func wrongIdentity() throws {
        try snapshot("s1", of: source)
        let error = #expect(throws: PageStoreError.self) { try restore("s1", identities: [X25519Identity.generate()]) }
        #expect(error?.code == .wrongKey)
    }

    @Test("a damaged index is refused before any pack is read")
    func damagedIndex() throws {
        try snapshot("s1", of: source)
        indexes.byStem["s1"]![indexes.byStem["s1"]!.count - 1] ^= 0x80
        let error = #expect(throws: PageStoreError.self) { try restore("s1") }
        #expect(error?.code == .damagedObject && error?.object == "s1", "\(String(describing: error))")
    }

    @Test("pages out of order, twice, of the wrong size or missing are refused, and nothing is committed")
    func invalidInput() throws {
        let (pageSize, pages) = try pages(of: source)
        func writer() throws -> PageSnapshotWriter {
            try PageSnapshotWriter(
                objects: objects, key: key, keyName: keyName, encryption: encryption, level: 3,
                pageSize: pageSize, previous: nil)
        }
        let skipping = try writer()
        #expect(throws: PageStoreError.self) {
            try pages[2].withUnsafeBytes { try skipping.add(pageNumber: 3, page: $0) }
        }
        let twice = try writer()
        try pages[0].withUnsafeBytes { try twice.add(pageNumber: 1, page: $0) }
        #expect(throws: PageStoreError.self) { try pages[0].withUnsafeBytes { try twice.add(pageNumber: 1, page: $0) } }
        let short = try writer()
        #expect(throws: PageStoreError.self) {
            try Array(pages[0][0..<100]).withUnsafeBytes { try short.add(pageNumber: 1, page: $0) }
        }
        let unfinished = try writer()
        try pages[0].withUnsafeBytes { try unfinished.add(pageNumber: 1, page: $0) }
        #expect(throws: PageStoreError.self) {
            try unfinished.finish(walMode: false)
        }
    }

    @Test("the stored key opens with stock age to the 32 bytes that name pages")
    func storedKey() throws {
        try snapshot("s1", of: source)
        let stored = folder.path + "/key"
        try Data(try objects.read(PageStoreLayout.key(keyName))).write(to: URL(fileURLWithPath: stored))
        let keyFile = folder.path + "/identity.txt"
        try identity.encoded.write(toFile: keyFile, atomically: false, encoding: .utf8)
        let opened = try Subprocess.run("age", ["-d", "-i", keyFile, stored])
        try #require(opened.status == 0, "\(opened)")
        #expect(opened.stdout.count == PageKey.size)
        #expect(try PageKey(named: keyName, from: objects, identities: [identity]) == key)
    }

    @Test("the table the machine keeps reads back as written, and a cut one is refused")
    func tableEncoding() throws {
        let first = try snapshot("s1", of: source)
        let bytes = first.table.encoded()
        #expect(try PageTable(encoded: bytes, object: "t") == first.table)
        #expect(throws: PageStoreError.self) { try PageTable(encoded: Array(bytes.dropLast(3)), object: "t") }
    }
}
