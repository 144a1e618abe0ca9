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
        #expect(try Fixtures.sha256(out) == m.plaintextSHA256)
        #expect(try Fixtures.integrityCheck(out) == ["ok"])
        #expect(try h.filesLeft() == [result.backup.dataLocation, result.backup.manifestLocation].sorted())
    }

    @Test("files are 0600 and folders 0700")
    func modes() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
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

    @Test("a rollback-journal copy in steps survives restarts by a writer, then copies in one step")
    func rollbackStepsAndFallback() throws {
        let h = try Harness().prepare()
        let writer = try BankWriter(database: h.source, mode: "delete", extraArguments: ["--pad", "4000"])
        defer { writer.stop() }
        var engine = BackupEngine()
        // Tiny steps so every copy takes many of them and the writer restarts it.
        engine.snapshotTaker.pagesPerStep = 4
        engine.snapshotTaker.maxRestarts = 2
        let logs = LogRecorder()
        var backups: [StoredBackup] = []
        // The same generous busy timeout as the consistency test above: on a loaded 2-core CI
        // machine the back-to-back writer can keep the one-step copy from its lock for over 5 s.
        for _ in 0..<3 {
            backups.append(try engine.backUp(h.job(busyTimeout: .seconds(30)), logger: logs.logger).backup)
        }
        writer.stop()
        #expect(!logs.entries(.writersBlocked).isEmpty, "the writer never restarted the copy")
        for (i, backup) in backups.enumerated() {
            let out = try h.restore(backup, to: "stepped-\(i).db")
            #expect(try Fixtures.integrityCheck(out) == ["ok"])
            #expect(try Fixtures.bankTotal(out) == BankWriter.expectedTotal)
        }
    }
}
