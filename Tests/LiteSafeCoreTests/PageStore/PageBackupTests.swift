import Age
import Foundation
import LiteSafeCore
import SQLite
import TestSupport
import Testing

/// `format: pages` through the engine: real databases backed up into a folder store, changed,
/// backed up again, pruned and restored.
@Suite("Page snapshots through the engine")
struct PageBackupTests {
    let h: Harness

    init() throws { h = try Harness().prepare() }

    var pageState: String { h.folder.path + "/pages" }

    func job(retention: RetentionPolicy? = nil) -> BackupJob {
        var job = h.job()
        job.format = .pages
        job.pageStateDirectory = pageState
        job.retention = retention
        return job
    }

    /// The rows as a restore must give them back.
    func content(_ path: String) throws -> [String] {
        try Connection(path: path, options: [.readOnly]).column("SELECT id || ':' || hex(body) FROM items ORDER BY id")
    }

    func change(_ sql: String) throws {
        let db = try Connection(path: h.source, options: [.readWrite])
        try db.execute(sql)
    }

    /// The packs in the store, by name.
    func packsStored() throws -> Set<String> {
        Set(
            try h.store.pageObjects(database: "app").names(in: PageStoreLayout.packsFolder)
                .compactMap(PageStoreLayout.packName(ofFile:)))
    }

    @Test(
        "after 1 % of rows change, the next backup stores only the changed pages; each snapshot restores as it was",
        arguments: ["wal", "delete"])
    func incremental(journalMode: String) throws {
        try Fixtures.makeDatabase(at: h.source, journalMode: journalMode, rows: 2000, rowBytes: 1000)
        let first = try h.backUp(job())
        let firstRows = try content(h.source)
        try change("UPDATE items SET body = randomblob(1000) WHERE id % 100 = 3")
        let second = try h.backUp(job())
        let secondRows = try content(h.source)
        let (one, two) = (try #require(first.backup.manifest.pages), try #require(second.backup.manifest.pages))
        #expect(first.backup.manifest.format == Manifest.pageSnapshotFormat)
        #expect(first.backup.manifest.file.hasSuffix(".pages.age"))
        #expect(one.newPages == first.backup.manifest.pageCount && one.reusedPages == 0)
        // 20 rows on 20 pages, perhaps page 1 (its change counter) or an interior page.
        #expect(two.newPages >= 20 && two.newPages <= 25, "\(two.newPages) of \(second.backup.manifest.pageCount)")
        #expect(two.newBytes * 10 < one.newBytes, "\(two.newBytes) vs \(one.newBytes)")
        let restoredFirst = try h.restore(first.backup, to: "first.db")
        let restoredSecond = try h.restore(second.backup, to: "second.db")
        #expect(try content(restoredFirst) == firstRows)
        #expect(try content(restoredSecond) == secondRows)
        #expect(try Fixtures.journalMode(restoredSecond) == (journalMode == "wal" ? "wal" : "delete"))
        if journalMode == "delete" {
            // As stored (a WAL database's restore sets header bytes 18 and 19 back to 2).
            #expect(try first.backup.manifest.describesDatabase(at: restoredFirst))
        }
        #expect(try packsStored() == Set(one.packs + two.packs))
    }

    @Test("a bank writer running throughout: every snapshot restores to a consistent database")
    func underTheBankWriter() throws {
        for mode in ["wal", "delete"] {
            let source = h.sourceFolder + "/bank-\(mode).db"
            let writer = try BankWriter(database: source, mode: mode, extraArguments: ["--sleep", "0.001"])
            defer { writer.stop() }
            var job = job()
            job.name = "bank-\(mode)"
            job.sourcePath = source
            for round in 0..<3 {
                let result = try h.backUp(job)
                let out = try h.restore(result.backup, to: "bank-\(mode)-\(round).db")
                #expect(try Fixtures.bankTotal(out) == BankWriter.expectedTotal, "\(mode) round \(round)")
                #expect(try Fixtures.integrityCheck(out) == ["ok"])
            }
        }
    }

    @Test("retention prunes page snapshots and then every pack no kept snapshot reads; the kept ones restore")
    func pruneSweepsPacks() throws {
        try Fixtures.makeDatabase(at: h.source, rows: 2000, rowBytes: 1000)
        var rows: [String: [String]] = [:]
        for round in 0..<5 {
            try change("UPDATE items SET body = randomblob(1000) WHERE id % 7 = \(round)")
            let result = try h.backUp(job(retention: RetentionPolicy(keepLast: 2)))
            rows[result.backup.id.stem] = try content(h.source)
            let kept = try h.store.backups(of: "app")
            #expect(kept.count == min(round + 1, 2))
            #expect(try packsStored() == Set(kept.flatMap { $0.manifest.pages?.packs ?? [] }), "round \(round)")
        }
        for backup in try h.store.backups(of: "app") {
            let out = try h.restore(backup, to: backup.id.stem + ".db")
            #expect(try content(out) == rows[backup.id.stem])
        }
    }

    @Test("a machine that lost its page table stores every page again, and nothing is lost")
    func lostTable() throws {
        try Fixtures.makeDatabase(at: h.source, rows: 500, rowBytes: 1000)
        let first = try h.backUp(job())
        try FileManager.default.removeItem(atPath: pageState + "/app.table")
        let second = try h.backUp(job())
        #expect(second.backup.manifest.pages?.newPages == second.backup.manifest.pageCount)
        #expect(try content(h.restore(first.backup, to: "a.db")) == content(h.source))
        #expect(try content(h.restore(second.backup, to: "b.db")) == content(h.source))
    }

    @Test("a machine that lost its key starts a new one; the old snapshots still restore with the identity")
    func lostKey() throws {
        try Fixtures.makeDatabase(at: h.source, rows: 500, rowBytes: 1000)
        let first = try h.backUp(job())
        try FileManager.default.removeItem(atPath: pageState + "/app.key")
        let second = try h.backUp(job())
        #expect(first.backup.manifest.pages?.key != second.backup.manifest.pages?.key)
        #expect(second.backup.manifest.pages?.newPages == second.backup.manifest.pageCount)
        #expect(try content(h.restore(first.backup, to: "a.db")) == content(h.source))
    }

    @Test(
        "a page snapshot restores by its data file's path in its folder, is refused alone, and the wrong identity opens nothing"
    )
    func indexAloneAndWrongKey() throws {
        try Fixtures.makeDatabase(at: h.source, rows: 200, rowBytes: 1000)
        let result = try h.backUp(job())
        // By its path, in its folder: the packs are found beside it.
        _ = try RestoreEngine().restore(
            .file(path: result.backup.dataLocation, manifest: result.backup.manifest), identities: [h.identity],
            to: h.folder.path + "/by-path.db", force: false, logger: h.logger)
        #expect(try content(h.folder.path + "/by-path.db") == content(h.source))
        // Copied away from its store, it is refused with what to do.
        try FileManager.default.createDirectory(
            atPath: h.folder.path + "/elsewhere", withIntermediateDirectories: false)
        let copy = h.folder.path + "/elsewhere/" + result.backup.manifest.file
        try FileManager.default.copyItem(atPath: result.backup.dataLocation, toPath: copy)
        let alone = #expect(throws: RestoreError.self) {
            try RestoreEngine().restore(
                .file(path: copy, manifest: result.backup.manifest), identities: [h.identity],
                to: h.folder.path + "/x.db", force: false, logger: h.logger)
        }
        #expect(alone?.code == .pagesNeedTheirStore)
        let wrong = #expect(throws: PageStoreError.self) {
            try RestoreEngine().restore(
                .stored(result.backup, store: h.store), identities: [X25519Identity.generate()],
                to: h.folder.path + "/y.db", force: false, logger: h.logger)
        }
        #expect(wrong?.code == .wrongKey)
        #expect(!FileManager.default.fileExists(atPath: h.folder.path + "/x.db"))
        #expect(!FileManager.default.fileExists(atPath: h.folder.path + "/y.db"))
    }

    @Test("scripts/restore-pages.py rebuilds any snapshot with Python's standard library and stock age and zstd")
    func breakGlassScript() throws {
        try Fixtures.makeDatabase(at: h.source, rows: 2000, rowBytes: 1000)
        let first = try h.backUp(job())
        try change("UPDATE items SET body = randomblob(1000) WHERE id % 50 = 1")
        let second = try h.backUp(job())
        let script = URL(fileURLWithPath: Fixtures.toolsFolder).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/restore-pages.py").path
        let identityFile = h.folder.path + "/identity.txt"
        try h.identity.encoded.write(toFile: identityFile, atomically: false, encoding: .utf8)
        let folder = h.destination + "/app"
        func run(_ arguments: [String]) throws -> ProcessResult {
            try Subprocess.run("python3", [script, "--identity", identityFile, folder] + arguments)
        }
        let older = h.folder.path + "/older.db"
        let byStem = try run([first.backup.id.stem, older])
        try #require(byStem.status == 0, "\(byStem)")
        let newest = h.folder.path + "/newest.db"
        let latest = try run([newest])
        try #require(latest.status == 0, "\(latest)")
        let bytes = { (path: String) in [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
        #expect(try bytes(older) == bytes(h.restore(first.backup, to: "engine-first.db")))
        #expect(try bytes(newest) == bytes(h.restore(second.backup, to: "engine-second.db")))
        #expect(try Fixtures.journalMode(newest) == "wal")

        // A damaged pack stops it, naming the pack, with nothing at OUT.
        let pack = try #require(second.backup.manifest.pages?.packs.last)
        let packPath = folder + "/pages/packs/" + pack + ".pack"
        var damaged = try bytes(packPath)
        damaged[damaged.count / 2] ^= 0x40
        try Data(damaged).write(to: URL(fileURLWithPath: packPath))
        let refused = try run([h.folder.path + "/refused.db"])
        #expect(refused.status != 0)
        #expect(refused.errorOutput.contains("pack \(pack) is damaged"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: h.folder.path + "/refused.db"))
    }

    @Test("a scrub fails every snapshot a damaged or missing pack breaks, naming the pack, and passes the others")
    func scrubNamesBrokenSnapshots() throws {
        try Fixtures.makeDatabase(at: h.source, rows: 2000, rowBytes: 1000)
        let first = try h.backUp(job())
        try change("UPDATE items SET body = randomblob(1000) WHERE id = 5")
        let second = try h.backUp(job())
        let onlySecond = try #require(second.backup.manifest.pages?.packs.last)
        #expect(first.backup.manifest.pages?.packs.contains(onlySecond) == false)
        func verdicts() -> [String: String?] {
            let results = Verifier().verify(
                "app", in: h.store, identities: nil, scratch: h.folder.path, logger: h.logger)
            return Dictionary(
                uniqueKeysWithValues: results.map { result in
                    let failure: String? =
                        switch result.outcome {
                        case .failed(let error): "\(error)"
                        default: nil
                        }
                    return (result.backup?.id.stem ?? "?", failure)
                })
        }
        #expect(verdicts().values.allSatisfy { $0 == nil })
        try FileManager.default.removeItem(atPath: h.destination + "/app/pages/packs/\(onlySecond).pack")
        let missing = verdicts()
        #expect(missing[first.backup.id.stem] == .some(nil))
        #expect(missing[second.backup.id.stem]??.contains(onlySecond) == true, "\(missing)")
        let shared = try #require(first.backup.manifest.pages?.packs.first)
        let path = h.destination + "/app/pages/packs/\(shared).pack"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[100] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let damaged = verdicts()
        #expect(damaged[first.backup.id.stem]??.contains(shared) == true, "\(damaged)")
        #expect(damaged[second.backup.id.stem] != .some(nil))
    }

    @Test("a pack mostly superseded is rewritten from the live database, and swept once no snapshot reads it")
    func repacksMostlyGarbage() throws {
        try Fixtures.makeDatabase(at: h.source, rows: 2000, rowBytes: 1000)
        let first = try h.backUp(job(retention: RetentionPolicy(keepLast: 1)))
        let old = try #require(first.backup.manifest.pages?.packs.first)
        try #require(first.backup.manifest.pages?.packs.count == 1)
        // Three rows in four change: most pages of the first pack are superseded.
        try change("UPDATE items SET body = randomblob(1000) WHERE id % 4 != 0")
        let second = try h.backUp(job(retention: RetentionPolicy(keepLast: 1)))
        #expect(second.backup.manifest.pages?.packs.contains(old) == true)
        #expect(second.backup.manifest.pages?.rewrittenPages == 0)
        // Nothing changes: the pages still read from the old pack move to a new one.
        let third = try h.backUp(job(retention: RetentionPolicy(keepLast: 1)))
        let facts = try #require(third.backup.manifest.pages)
        #expect(facts.rewrittenPages ?? 0 > 0 && facts.rewrittenPages == facts.newPages, "\(facts)")
        #expect(!facts.packs.contains(old))
        #expect(try !packsStored().contains(old))
        #expect(try packsStored() == Set(facts.packs))
        #expect(try content(h.restore(third.backup, to: "third.db")) == content(h.source))
    }

    @Test("frequent backups with little change do not pile up small packs: they are merged")
    func mergesSmallPacks() throws {
        try Fixtures.makeDatabase(at: h.source, rows: 500, rowBytes: 1000)
        var last: BackupResult?
        for round in 0..<40 {
            try change("UPDATE items SET body = randomblob(1000) WHERE id = \(round * 7 + 1)")
            last = try h.backUp(job(retention: RetentionPolicy(keepLast: 3)))
        }
        let facts = try #require(last?.backup.manifest.pages)
        #expect(facts.packs.count <= 19, "\(facts.packs.count) packs")
        #expect(try packsStored().count <= 3 * 19)
        #expect(try content(h.restore(try #require(last).backup, to: "last.db")) == content(h.source))
    }
}
