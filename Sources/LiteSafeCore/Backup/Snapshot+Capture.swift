import Foundation
import Logging
import SQLite

extension SnapshotTaker {
    /// Captures a WAL database's snapshot page by page, with no staging copy: inside one read
    /// transaction on the source, the online backup writes into `PageCapture`'s VFS, which hands
    /// `pages` pages 2…N in order (page 1 comes last, in the result). The read transaction stays
    /// open for `CapturedPages.check`, which checks exactly the captured snapshot; it may run on
    /// another thread while the caller publishes. A consumer's error stops the capture and is
    /// rethrown, the transaction ended.
    public func capture(
        _ opened: OpenedSource, job: BackupJob, cancellation: Cancellation,
        pages: (_ page: Int, _ bytes: UnsafeRawBufferPointer) throws -> Void
    ) throws -> CapturedPages {
        precondition(opened.walMode, "a rollback-journal database is staged: a reader there blocks its writers")
        let source = opened.connection
        // A stop interrupts SQLite's work on the source (the check of a large database takes
        // seconds); an interrupt with nothing running is ignored.
        let interrupter = source.interrupter
        cancellation.onCancel { interrupter.interrupt() }
        do {
            try beginReadTransaction(source, job: job)
        } catch let error as SQLiteError {
            throw translate(error, job: job)
        }
        do {
            var reached = false
            let image = try PageCapture().capture(from: source) { page, bytes in
                if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
                try pages(page, bytes)
                if !reached {
                    reached = true
                    CrashPoint.backupDuringCapture.reached()
                    try afterFirstCapturedPage?()
                }
            }
            var firstPage = image.firstPage
            // Rollback-journal mode on disk, as the staged copy's journal_mode=DELETE leaves it.
            firstPage[18] = 1
            firstPage[19] = 1
            return CapturedPages(
                source: source, job: job, pageSize: image.pageSize, pageCount: image.pageCount, firstPage: firstPage)
        } catch {
            try? source.execute("COMMIT")
            if let error = error as? SQLiteError {
                if error.kind == .interrupted, cancellation.isCancelled {
                    throw BackupError.cancelled(database: job.name)
                }
                throw translate(error, job: job)
            }
            throw error
        }
    }
}

/// A snapshot's pages captured, its read transaction still open on the source until `check`
/// has run in it (or the value goes).
public final class CapturedPages: @unchecked Sendable {
    private let source: Connection
    private let job: BackupJob
    private let interrupter: Connection.Interrupter
    private var inTransaction = true
    public let pageSize: Int
    public let pageCount: Int
    /// Page 1, with the header's file format bytes (18, 19) set to 1, as a staged copy's
    /// `journal_mode=DELETE` sets them: a self-contained file (a restore sets WAL mode back).
    public let firstPage: [UInt8]

    init(source: Connection, job: BackupJob, pageSize: Int, pageCount: Int, firstPage: [UInt8]) {
        self.source = source
        self.job = job
        interrupter = source.interrupter
        self.pageSize = pageSize
        self.pageCount = pageCount
        self.firstPage = firstPage
    }

    deinit { end() }

    /// Runs the job's check in the capture's read transaction, then ends it; a snapshot that
    /// fails throws `BackupError.checkFailed`. Call once, from any one thread.
    public func check(cancellation: Cancellation) throws -> CapturedSnapshot {
        defer { end() }
        let pragma = try SnapshotCheck.check(source, job: job, cancellation: cancellation)
        return CapturedSnapshot(
            sqliteVersion: Library.version, pageSize: pageSize, pageCount: pageCount, firstPage: firstPage,
            check: "\(pragma) ok")
    }

    /// Stops a running check from any thread; `check` then fails.
    public func interrupt() { interrupter.interrupt() }

    private func end() {
        guard inTransaction else { return }
        inTransaction = false
        try? source.execute("COMMIT")
    }
}
