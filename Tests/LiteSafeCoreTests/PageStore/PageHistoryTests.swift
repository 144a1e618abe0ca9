import Foundation
import LiteSafeCore
import SQLite
import TestSupport
import Testing

/// Long histories of page snapshots: random churn, random retention, every kept snapshot
/// restored and compared with the database as it was when it was taken.
@Suite("Page snapshot histories")
struct PageHistoryTests {
    /// A seeded generator (SplitMix64), so a failing history can be replayed.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    let h: Harness

    init() throws { h = try Harness().prepare() }

    func job(retention: RetentionPolicy? = nil) -> BackupJob {
        var job = h.job()
        job.format = .pages
        job.pageStateDirectory = h.folder.path + "/pages"
        job.retention = retention
        return job
    }

    /// The rows, hashed (equal within one test process).
    func digest(_ path: String) throws -> Int {
        var hasher = Hasher()
        for row in try Connection(path: path, options: [.readOnly]).column(
            "SELECT id || ':' || hex(body) FROM items ORDER BY id")
        {
            hasher.combine(row)
        }
        return hasher.finalize()
    }

    /// Updates, inserts and deletes a few random rows.
    func churn(_ random: inout Seeded) throws {
        let db = try Connection(path: h.source, options: [.readWrite])
        try db.execute("BEGIN")
        for _ in 0..<Int.random(in: 1...8, using: &random) {
            let id = Int.random(in: 1...700, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0:
                let size = Int.random(in: 10...3000, using: &random)
                try db.execute("INSERT INTO items(body) VALUES (randomblob(\(size)))")
            case 1: try db.execute("DELETE FROM items WHERE id = \(id)")
            default:
                let size = Int.random(in: 10...1500, using: &random)
                try db.execute("UPDATE items SET body = randomblob(\(size)) WHERE id = \(id)")
            }
        }
        try db.execute("COMMIT")
    }

    /// Restores every kept snapshot and compares it with the database when it was taken.
    func expectEveryKeptSnapshotRestores(_ taken: [String: Int]) throws {
        for backup in try h.store.backups(of: "app") {
            let out = try h.restore(backup, to: "restored-\(backup.id.stem).db")
            #expect(try digest(out) == taken[backup.id.stem], "\(backup.id.stem)")
            try FileManager.default.removeItem(atPath: out)
        }
    }

    @Test("200 successive page snapshots under random churn each restore as the database was then")
    func twoHundredSnapshots() throws {
        try Fixtures.makeDatabase(at: h.source, rows: 600, rowBytes: 1000)
        var random = Seeded(state: 200)
        var taken: [String: Int] = [:]
        var stored: Int64 = 0
        var full: Int64 = 0
        for round in 0..<200 {
            if round > 0 { try churn(&random) }
            let result = try h.backUp(job())
            taken[result.backup.id.stem] = try digest(h.source)
            let pages = try #require(result.backup.manifest.pages)
            stored += pages.newBytes + result.backup.manifest.storedSize
            if round == 0 { full = pages.newBytes }
        }
        #expect(try h.store.backups(of: "app").count == 200)
        try expectEveryKeptSnapshotRestores(taken)
        // 199 small increments: far less than 199 more full copies.
        #expect(stored < full * 40, "\(stored) bytes stored for 200 snapshots, \(full) for the first")
    }

    @Test(
        "random histories and random retention: every kept snapshot restores, no pack it reads is gone, no pack survives that none reads",
        arguments: [1, 2, 3, 4, 5, 6])
    func retentionAndSweep(seed: UInt64) throws {
        try Fixtures.makeDatabase(at: h.source, rows: 300, rowBytes: 1000)
        var random = Seeded(state: seed)
        let policy = RetentionPolicy(keepLast: Int.random(in: 1...4, using: &random))
        var taken: [String: Int] = [:]
        let objects = try h.store.pageObjects(database: "app")
        for round in 0..<12 {
            for _ in 0..<Int.random(in: 0...2, using: &random) { try churn(&random) }
            let result = try h.backUp(job(retention: policy))
            taken[result.backup.id.stem] = try digest(h.source)
            let kept = try h.store.backups(of: "app")
            let named = Set(kept.flatMap { $0.manifest.pages?.packs ?? [] })
            let present = Set(
                try objects.names(in: PageStoreLayout.packsFolder).compactMap(PageStoreLayout.packName(ofFile:)))
            #expect(named.isSubset(of: present), "seed \(seed) round \(round): a named pack is gone")
            #expect(present.isSubset(of: named), "seed \(seed) round \(round): an unnamed pack survived")
        }
        try expectEveryKeptSnapshotRestores(taken)
    }
}
