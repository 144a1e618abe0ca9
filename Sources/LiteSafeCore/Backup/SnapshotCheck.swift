import Foundation
import SQLite

/// `PRAGMA quick_check` (or `integrity_check`) over a staged copy, on its own connection, so
/// it can run on another thread while the copy is streamed, and be interrupted from there.
public final class SnapshotCheck: @unchecked Sendable {
    private let staged: StagedCopy
    private let job: BackupJob
    private let connection: Connection
    private let interrupter: Connection.Interrupter

    /// Opens the staged copy read-only for the check.
    public init(_ staged: StagedCopy, job: BackupJob) throws {
        self.staged = staged
        self.job = job
        connection = try Connection(path: staged.path, options: [.readOnly, .noFollow])
        interrupter = connection.interrupter
    }

    /// Stops a running check from any thread; `run` then fails.
    public func interrupt() { interrupter.interrupt() }

    /// Runs the check; a copy that fails it throws `BackupError.checkFailed`.
    ///
    /// - Throws: `BackupError.cancelled` when `cancellation` is set and the check was interrupted.
    public func run(cancellation: Cancellation) throws -> Snapshot {
        let pragma = try Self.check(connection, job: job, cancellation: cancellation)
        return Snapshot(
            path: staged.path, sqliteVersion: staged.sqliteVersion, pageSize: staged.pageSize,
            pageCount: staged.pageCount, walMode: staged.walMode, check: "\(pragma) ok")
    }

    /// Runs the job's check on `connection` (in whatever transaction it is in) and returns the
    /// pragma that passed; a database that fails it throws `BackupError.checkFailed`, an
    /// interrupted check with `cancellation` set `BackupError.cancelled`.
    static func check(_ connection: Connection, job: BackupJob, cancellation: Cancellation) throws -> String {
        let pragma = job.integrityCheck == .full ? "integrity_check" : "quick_check"
        let results: [String]
        do {
            results = try connection.column("PRAGMA \(pragma)")
        } catch let error as SQLiteError where error.kind == .interrupted && cancellation.isCancelled {
            throw BackupError.cancelled(database: job.name)
        } catch let error as SQLiteError where error.kind == .corrupt {
            // Damage bad enough that the check itself cannot run.
            throw BackupError.checkFailed(database: job.name, details: "\(pragma): \(error.message)")
        }
        guard results == ["ok"] else {
            throw BackupError.checkFailed(
                database: job.name, details: "\(pragma): " + results.prefix(5).joined(separator: "; "))
        }
        return pragma
    }
}
