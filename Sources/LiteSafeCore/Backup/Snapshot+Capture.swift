import Foundation
import Logging
import SQLite

extension SnapshotTaker {
    /// Captures a WAL database's snapshot page by page, with no staging copy: inside one read
    /// transaction on the source, the online backup writes into `PageCapture`'s VFS, which hands
    /// `pages` pages 2…N in order (page 1 comes last, in the result); then the job's check runs
    /// on the same connection in the same read transaction, so it checks exactly the captured
    /// snapshot. A consumer's error stops the capture and is rethrown; nothing is checked or
    /// returned then.
    public func capture(
        _ opened: OpenedSource, job: BackupJob, cancellation: Cancellation,
        pages: (_ page: Int, _ bytes: UnsafeRawBufferPointer) throws -> Void
    ) throws -> CapturedSnapshot {
        precondition(opened.walMode, "a rollback-journal database is staged: a reader there blocks its writers")
        let source = opened.connection
        // A stop interrupts SQLite's work on the source (the check of a large database takes
        // seconds); an interrupt with nothing running is ignored.
        let interrupter = source.interrupter
        cancellation.onCancel { interrupter.interrupt() }
        do {
            try beginReadTransaction(source, job: job)
            defer { try? source.execute("COMMIT") }
            var reached = false
            let image = try PageCapture().capture(from: source) { page, bytes in
                if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
                try pages(page, bytes)
                if !reached {
                    reached = true
                    CrashPoint.backupDuringCapture.reached()
                }
            }
            let checking = ContinuousClock().now
            let pragma = try SnapshotCheck.check(source, job: job, cancellation: cancellation)
            let checkDuration = ContinuousClock().now - checking
            var firstPage = image.firstPage
            // Rollback-journal mode on disk, as the staged copy's journal_mode=DELETE leaves it.
            firstPage[18] = 1
            firstPage[19] = 1
            return CapturedSnapshot(
                sqliteVersion: Library.version, pageSize: image.pageSize, pageCount: image.pageCount,
                firstPage: firstPage, check: "\(pragma) ok", checkDuration: checkDuration)
        } catch let error as SQLiteError {
            if error.kind == .interrupted, cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
            throw translate(error, job: job)
        }
    }
}
