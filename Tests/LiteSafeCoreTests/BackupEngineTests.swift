import Age
import Foundation
import LiteSafeCore
import SQLite
import TestSupport
import Testing

@Suite("Backup and restore")
struct BackupEngineTests {
    @Test("a backup restores to a byte-identical, checked database", arguments: [Compression.zstd(level: 3), .none])
    func roundTrip(compression: Compression) throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, journalMode: "delete", rows: 500)
        let result = try h.backUp(h.job(compression: compression))
        let m = result.backup.manifest
        #expect(m.database == "app")
        #expect(m.walMode == false)
        #expect(m.check == "quick_check ok")
        #expect(m.recipients == [h.identity.recipient.description])
        #expect(m.sqliteVersion == Library.version)
        #expect(m.plaintextSize == (try FileSystem.size(h.source)))
        #expect(m.storedSize == (try FileSystem.size(result.backup.dataLocation)))
        #expect(m.storedSHA256 == (try Fixtures.sha256(result.backup.dataLocation)))
        let out = try h.restore(result.backup)
        #expect(try m.describesDatabase(at: out))
        #expect(try Fixtures.integrityCheck(out) == ["ok"])
        #expect(try h.filesLeft() == [result.backup.dataLocation, result.backup.manifestLocation].sorted())
    }

    @Test("files are 0600 and folders 0700")
    func modes() throws {
        let h = try Harness().prepare()
        // A rollback-journal database is staged, so the staging folder is made.
        try Fixtures.makeDatabase(at: h.source, journalMode: "delete")
        let result = try h.backUp()
        for path in [result.backup.dataLocation, result.backup.manifestLocation] {
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        }
        for path in [h.destination + "/app", h.staging] {
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o700)
        }
    }

    @Test("a WAL source is restored in WAL mode, a rollback-journal source in its own mode")
    func journalModes() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, journalMode: "wal")
        let backup = try h.backUp().backup
        #expect(backup.manifest.walMode)
        let out = try h.restore(backup)
        // Checked before anything opens it: a reader of a WAL database creates -wal and -shm.
        #expect(!FileManager.default.fileExists(atPath: out + "-wal"))
        #expect(try Fixtures.journalMode(out) == "wal")
    }

    @Test("two backups in the same instant get distinct names that sort in order")
    func namesNeverCollide() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        var engine = BackupEngine()
        let fixed = Date(timeIntervalSince1970: 1_795_000_000)
        engine.now = { fixed }
        let first = try engine.backUp(h.job(), logger: h.logger).backup
        let second = try engine.backUp(h.job(), logger: h.logger).backup
        #expect(first.dataLocation != second.dataLocation)
        #expect(try h.store.backups(of: "app").count == 2)
        #expect(second.manifest.file > first.manifest.file)
    }

    @Test("every backup taken under a running writer is consistent", arguments: ["wal", "delete"])
    func consistentUnderWriters(mode: String) throws {
        let h = try Harness().prepare()
        let writer = try BankWriter(database: h.source, mode: mode, extraArguments: ["--pad", "2000"])
        defer { writer.stop() }
        var backups: [StoredBackup] = []
        // A generous busy timeout: on a loaded 2-core CI machine a writer committing back to
        // back can hold the rollback journal's lock for seconds at a time.
        for _ in 0..<4 { backups.append(try h.backUp(h.job(busyTimeout: .seconds(30))).backup) }
        writer.stop()
        for (i, backup) in backups.enumerated() {
            // WAL: captured page by page (format 2); rollback journal: staged (format 1).
            #expect(backup.manifest.format == (mode == "wal" ? Manifest.splitHashFormat : Manifest.currentFormat))
            let out = try h.restore(backup, to: "restored-\(i).db")
            #expect(try Fixtures.integrityCheck(out) == ["ok"])
            #expect(try Fixtures.bankTotal(out) == BankWriter.expectedTotal)
        }
        let transfers = try backups.map { b -> Int64 in
            let out = h.folder.path + "/restored-\(backups.firstIndex(of: b)!).db"
            return try Connection(path: out, options: [.readOnly]).integer("SELECT count(*) FROM transfers")
        }
        // The writer really was writing while the backups were taken.
        #expect(transfers.last! > transfers.first!)
    }

    @Test("a rollback-journal copy in steps restarts at each write, then copies in one step, whole")
    func rollbackStepsAndFallback() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, journalMode: "delete", rows: 200, rowBytes: 1000)
        // A writer the test steps: one commit between every two steps of the copy, which SQLite
        // answers by restarting the copy from page 1.
        let writer = try SteppedWriter(database: h.source)
        var engine = BackupEngine()
        engine.snapshotTaker.pagesPerStep = 4
        engine.snapshotTaker.maxRestarts = 2
        engine.snapshotTaker.betweenSteps = { writer.commitOne() }
        let logs = LogRecorder()
        let backup = try engine.backUp(h.job(), logger: logs.logger).backup

        // Restarts 1, 2 and 3 (over maxRestarts) happen at the first three writes; the copy then
        // holds writers off and takes every row committed until then.
        #expect(writer.commits == 3)
        let blocked = logs.entries(.writersBlocked)
        #expect(blocked.count == 1)
        #expect(blocked.first?.message.contains("(3 restarts)") == true)
        let out = try h.restore(backup)
        #expect(try Fixtures.integrityCheck(out) == ["ok"])
        #expect(try Connection(path: out, options: [.readOnly]).integer("SELECT count(*) FROM items") == 203)
    }

    @Test("a rollback-journal copy in steps that no write disturbs finishes in steps")
    func rollbackStepsUndisturbed() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, journalMode: "delete", rows: 200, rowBytes: 1000)
        var engine = BackupEngine()
        engine.snapshotTaker.pagesPerStep = 4
        let logs = LogRecorder()
        let backup = try engine.backUp(h.job(), logger: logs.logger).backup
        #expect(logs.entries(.writersBlocked).isEmpty)
        let out = try h.restore(backup)
        #expect(try Connection(path: out, options: [.readOnly]).integer("SELECT count(*) FROM items") == 200)
    }
}

/// A writer on its own connection that commits one row each time the test (through a hook)
/// says so, on the caller's thread.
final class SteppedWriter: @unchecked Sendable {
    private let connection: Connection
    private(set) var commits = 0

    init(database: String) throws {
        connection = try Connection(path: database, options: [.readWrite])
    }

    func commitOne() {
        do {
            try connection.execute("INSERT INTO items(body) VALUES (randomblob(100))")
            commits += 1
        } catch {
            Issue.record("the stepped writer could not commit: \(error)")
        }
    }
}
