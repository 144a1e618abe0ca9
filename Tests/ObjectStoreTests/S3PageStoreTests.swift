import Age
import Foundation
import LiteSafeCore
import Logging
import ObjectStore
import SQLite
import TestSupport
import Testing

/// `format: pages` on a real S3-compatible server (moto, checking every signature): the page
/// objects contract, and snapshots backed up, pruned and restored through the S3 store.
@Suite("Page snapshots on S3")
struct S3PageStoreTests {
    @Test(arguments: PageObjectsContract.checks)
    func contract(check: PageObjectsContract.Check) throws {
        let subject = try S3StoreSubject()
        try check.run(try subject.store.pageObjects(database: "app"))
    }

    @Test(
        "page snapshots go to the bucket, restore byte for byte, and a prune removes the packs no kept snapshot reads")
    func backUpPruneRestore() throws {
        let subject = try S3StoreSubject()
        let folder = try TemporaryDirectory("litesafe-s3-pages")
        let source = folder.path + "/app.db"
        try Fixtures.makeDatabase(at: source, rows: 1500, rowBytes: 1000)
        let identity = X25519Identity.generate()
        let logger = Logger(label: "test")
        var job = BackupJob(
            name: "app", sourcePath: source, store: subject.store, stagingDirectory: folder.path + "/staging",
            encryption: .recipients([identity.recipient]), retention: RetentionPolicy(keepLast: 2))
        job.format = .pages
        job.pageStateDirectory = folder.path + "/pages"
        func content(_ path: String) throws -> [String] {
            try Connection(path: path, options: [.readOnly]).column(
                "SELECT id || ':' || hex(body) FROM items ORDER BY id")
        }
        var rows: [String: [String]] = [:]
        for round in 0..<4 {
            if round > 0 {
                try Connection(path: source, options: [.readWrite]).execute(
                    "UPDATE items SET body = randomblob(1000) WHERE id % 50 = \(round)")
            }
            let result = try BackupEngine().backUp(job, logger: logger)
            rows[result.backup.id.stem] = try content(source)
            #expect(result.backup.manifest.pages != nil)
        }
        let kept = try subject.store.backups(of: "app")
        #expect(kept.count == 2)
        let named = Set(kept.flatMap { $0.manifest.pages?.packs ?? [] })
        let stored = Set(
            try subject.store.pageObjects(database: "app").names(in: PageStoreLayout.packsFolder)
                .compactMap(PageStoreLayout.packName(ofFile:)))
        #expect(stored == named)
        for backup in kept {
            let out = folder.path + "/" + backup.id.stem + ".db"
            _ = try RestoreEngine().restore(
                .stored(backup, store: subject.store), identities: [identity], to: out, force: false, logger: logger)
            #expect(try content(out) == rows[backup.id.stem])
        }
    }
}
