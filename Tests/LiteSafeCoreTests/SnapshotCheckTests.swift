import Foundation
import LiteSafeCore
import SQLite
import TestSupport
import Testing

@Suite("The snapshot's check")
struct SnapshotCheckTests {
    /// A staged copy of a database with two indexes, so `integrity_check` has real work to do.
    static func stagedCopy(_ h: Harness, integrityCheck: IntegrityCheck) throws -> (StagedCopy, BackupJob) {
        let db = try Connection(path: h.source, options: [.readWrite, .create])
        try db.execute(
            """
            PRAGMA journal_mode=WAL;
            CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB, c TEXT);
            WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 200000)
              INSERT INTO t SELECT x, randomblob(40), hex(randomblob(12)) FROM n;
            CREATE INDEX tb ON t(b); CREATE INDEX tc ON t(c);
            """)
        try FileManager.default.createDirectory(atPath: h.staging, withIntermediateDirectories: true)
        let job = h.job(integrityCheck: integrityCheck)
        let staged = try SnapshotTaker().copy(
            job, into: h.staging + "/app.test.staging", cancellation: Cancellation(), logger: h.logger)
        return (staged, job)
    }

    @Test("a check that passes describes itself for the manifest")
    func passes() throws {
        let h = try Harness().prepare()
        let (staged, job) = try Self.stagedCopy(h, integrityCheck: .full)
        let snapshot = try SnapshotCheck(staged, job: job).run(cancellation: Cancellation())
        #expect(snapshot.check == "integrity_check ok")
        #expect(snapshot.pageCount == staged.pageCount)
    }

    @Test("a stop interrupts a running check instead of waiting for it")
    func interruptedWhenCancelled() throws {
        let h = try Harness().prepare()
        let (staged, job) = try Self.stagedCopy(h, integrityCheck: .full)
        let check = try SnapshotCheck(staged, job: job)
        let cancellation = Cancellation()
        cancellation.cancel()
        // An interrupt only stops a statement already running, so keep interrupting until
        // the check has returned one way or the other.
        let done = Cancellation()
        let interrupter = Thread {
            while !done.isCancelled {
                check.interrupt()
                usleep(500)
            }
        }
        interrupter.start()
        defer { done.cancel() }
        #expect(throws: BackupError.cancelled(database: "app")) {
            try check.run(cancellation: cancellation)
        }
    }
}
