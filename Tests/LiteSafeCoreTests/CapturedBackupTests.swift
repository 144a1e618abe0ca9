import Age
import Foundation
import LiteSafeCore
import Logging
import SQLite
import TestSupport
import TestTools
import Testing

/// A WAL database's backup captured page by page into the store (no staging copy): page 1,
/// written last over the zeros reserved for it, and a store read back before its commit.
@Suite("Backup: captured page by page")
struct CapturedBackupTests {
    /// `age -d | zstd -d` (or less, as the backup's settings say) of `backup`, with the stock tools.
    func stockRestore(_ h: Harness, _ backup: StoredBackup) throws -> String {
        let key = h.folder.path + "/key.txt"
        try h.identity.identityFile(created: Date()).write(toFile: key, atomically: false, encoding: .utf8)
        let out = h.folder.path + "/stock-\(UUID().uuidString).db"
        let decrypt = backup.manifest.encryption == "age" ? "age -d -i \"$0\" \"$1\"" : "cat \"$1\""
        let decompress = backup.manifest.compression == "none" ? "cat" : "zstd -d -q"
        let pipeline = try Subprocess.run(
            "/bin/sh", ["-c", "\(decrypt) | \(decompress) > \"$2\"", key, backup.dataLocation, out])
        #expect(pipeline.status == 0, "\(pipeline)")
        return out
    }

    /// The database's rows, in order, to compare a restored copy with its source.
    func rows(_ path: String) throws -> [String] {
        try Connection(path: path, options: [.readOnly]).column(
            "SELECT quote(id) || ',' || quote(v) FROM t ORDER BY id")
    }

    func makeDatabase(_ path: String, pageSize: Int = 4096, rows: Int) throws {
        let made = try Subprocess.run(
            "sqlite3",
            [
                path,
                "PRAGMA page_size=\(pageSize); PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < \(rows)) INSERT INTO t SELECT x, randomblob(x % 700) || zeroblob(300) FROM c;",
            ])
        #expect(made.status == 0, "\(made)")
    }

    @Test(
        "stock tools and restore give back the database: every compression and encryption, small and large, 512 B to 64 KiB pages",
        arguments: [(Compression.default, true), (.none, true), (.default, false), (.none, false)],
        [(4096, 5), (4096, 3000), (512, 2000), (65536, 400)])
    func roundTrip(settings: (compression: Compression, encrypted: Bool), database: (pageSize: Int, rows: Int)) throws {
        let h = try Harness().prepare()
        try makeDatabase(h.source, pageSize: database.pageSize, rows: database.rows)
        var job = h.job(compression: settings.compression)
        if !settings.encrypted { job.encryption = .none }
        let backup = try h.backUp(job).backup
        let manifest = backup.manifest
        #expect(manifest.format == Manifest.splitHashFormat)
        #expect(manifest.plaintextSHA256 == nil)
        #expect(manifest.pageSize == database.pageSize)
        // No staging copy was made: not even the staging folder.
        #expect(!FileSystem.exists(h.staging))
        let stock = try stockRestore(h, backup)
        #expect(try manifest.describesDatabase(at: stock))
        #expect(try FileSystem.size(stock) == manifest.plaintextSize)
        #expect(try Fixtures.integrityCheck(stock) == ["ok"])
        #expect(try rows(stock) == rows(h.source))
        // The stored file's SHA-256 is that of the whole file, as sha256sum sees it.
        #expect(try Fixtures.sha256(backup.dataLocation) == manifest.storedSHA256)
        let restored = try h.restore(backup)
        #expect(try manifest.describesDatabase(at: restored) == false, "WAL mode is set back in the restored header")
        #expect(try Fixtures.journalMode(restored) == "wal")
        #expect(try rows(restored) == rows(h.source))
    }

    @Test(
        "a store that cannot fill a reserved start gets a staged backup (format 1), as a rollback-journal database does"
    )
    func storeThatCannotFillIsStaged() throws {
        let h = try Harness().prepare()
        try makeDatabase(h.source, rows: 500)
        var job = h.job()
        job.targets = [BackupJob.Target(name: "plain", store: AppendOnlyStore(h.store))]
        let backup = try BackupEngine().backUp(job, logger: h.logger).backup
        #expect(backup.manifest.format == Manifest.currentFormat)
        #expect(try Fixtures.sha256(try stockRestore(h, backup)) == backup.manifest.plaintextSHA256)
    }

    @Test("page 1 written wrong over its zeros is caught by the read-back: nothing is published, older backups stay")
    func wrongStartIsCaught() throws {
        let h = try Harness().prepare()
        try makeDatabase(h.source, rows: 3000)
        let older = try h.backUp().backup
        var job = h.job()
        job.targets = [BackupJob.Target(name: "flaky", store: CorruptingStartStore(h.store))]
        #expect {
            try BackupEngine().backUp(job, logger: h.logger)
        } throws: {
            ($0 as? BackupError)?.code == .readBackMismatch
        }
        #expect(try h.store.backups(of: "app") == [older])
        #expect(try h.filesLeft() == [older.dataLocation, older.manifestLocation].sorted())
    }

    @Test(
        "a capture this SQLite writes otherwise is abandoned and the backup staged: a warning, a good backup, nothing left"
    )
    func captureFailureFallsBackToStaging() throws {
        let h = try Harness().prepare()
        try makeDatabase(h.source, rows: 3000)
        var engine = BackupEngine()
        engine.snapshotTaker.afterFirstCapturedPage = { throw PageCaptureError.pageOutOfOrder(page: 5, expected: 3) }
        let recorder = LogRecorder()
        let backup = try engine.backUp(h.job(), logger: recorder.logger).backup
        #expect(backup.manifest.format == Manifest.currentFormat)
        #expect(try backup.manifest.describesDatabase(at: try stockRestore(h, backup)))
        let warning = try #require(recorder.entries(.captureFellBack).first)
        #expect(warning.level == .warning)
        #expect(warning.message.contains("page 5 was written before page 3"), "\(warning.message)")
        #expect(try h.filesLeft() == [backup.dataLocation, backup.manifestLocation].sorted())
    }

    @Test("the completion line says where the time went")
    func timeSplitIsLogged() throws {
        let h = try Harness().prepare()
        try makeDatabase(h.source, rows: 500)
        let recorder = LogRecorder()
        _ = try BackupEngine().backUp(h.job(), logger: recorder.logger)
        let line = try #require(recorder.entries(.backupCompleted).first?.message)
        #expect(
            line.range(
                of: #"in \d+ ms \(capture \d+ ms, check \d+ ms, compress \d+ ms, encrypt \d+ ms, publish \d+ ms\)$"#,
                options: .regularExpression) != nil, "\(line)")
    }
}

/// A directory store whose pending backups cannot fill a reserved start (as an object store
/// uploading as it goes).
struct AppendOnlyStore: ForwardingStore {
    let base: DirectoryStore
    init(_ base: DirectoryStore) { self.base = base }
    var fillsReservedStart: Bool { false }
}

/// A directory store whose pending backups write a reserved start with one bit flipped: a disk
/// or kernel getting that one write wrong.
struct CorruptingStartStore: ForwardingStore {
    let base: DirectoryStore
    init(_ base: DirectoryStore) { self.base = base }
    func beginBackup(database: String, stem: String, dataExtension: String) throws -> any PendingBackup {
        Corrupting(try base.beginBackup(database: database, stem: stem, dataExtension: dataExtension))
    }

    final class Corrupting: PendingBackup {
        let base: any PendingBackup
        init(_ base: any PendingBackup) { self.base = base }
        var fileName: String { base.fileName }
        func write(_ bytes: UnsafeRawBufferPointer) throws { try base.write(bytes) }
        func commit(manifest: Manifest) throws -> StoredBackup { try base.commit(manifest: manifest) }
        func abandon() { base.abandon() }
        func readBack(_ body: (UnsafeRawBufferPointer) throws -> Void) throws { try base.readBack(body) }
        func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
            var flipped = Array(bytes)
            flipped[flipped.count / 2] ^= 0x10
            try flipped.withUnsafeBytes { try base.overwrite($0, at: offset) }
        }
    }
}
