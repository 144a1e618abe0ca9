import Foundation
import Logging
import SQLite

/// A consistent copy of a live database in a private staging file, checked before use.
public struct Snapshot: Sendable {
    public let path: String
    public let sqliteVersion: String
    public let pageSize: Int
    public let pageCount: Int
    public let walMode: Bool
    /// "quick_check ok" or "integrity_check ok".
    public let check: String
}

/// A consistent copy in the staging folder whose check has not run yet.
public struct StagedCopy: Sendable {
    public let path: String
    public let sqliteVersion: String
    public let pageSize: Int
    public let pageCount: Int
    public let walMode: Bool
}

/// A job's database, open and checkpointed, before its snapshot is taken.
public struct OpenedSource {
    let connection: Connection
    /// Whether the database is in WAL mode (a reader then never blocks its writers).
    public let walMode: Bool
    public let pageSize: Int
    /// The page count when it was opened (the snapshot's may differ): for sizing buffers.
    public let pageCountHint: Int
}

/// A snapshot captured page by page (`SnapshotTaker.capture`), checked in the read transaction
/// it was taken in: everything but the pages, which went to the consumer as they came.
public struct CapturedSnapshot: Sendable {
    public let sqliteVersion: String
    public let pageSize: Int
    public let pageCount: Int
    /// Page 1, with the header's file format bytes (18, 19) set to 1, as a staged copy's
    /// `journal_mode=DELETE` sets them: a self-contained file (a restore sets WAL mode back).
    public let firstPage: [UInt8]
    /// "quick_check ok" or "integrity_check ok".
    public let check: String
}

/// Takes snapshots with SQLite's online backup API, the one supported way to copy a live
/// database (https://sqlite.org/backup.html).
public struct SnapshotTaker: Sendable {
    /// How many times a copy of a rollback-journal database may restart before it is done in
    /// one step, holding the writers off.
    public var maxRestarts = 5
    /// Pages per step when writers must get turns (rollback-journal mode).
    public var pagesPerStep: Int32 = 512
    /// Pause between steps, so a waiting writer gets the lock.
    public var pauseBetweenSteps: Duration = .milliseconds(2)
    /// Called between the steps of a rollback-journal copy, when writers get their turn; a test
    /// writes there, so the copy restarts exactly when it says, not when a real writer wins a race.
    public var betweenSteps: (@Sendable () -> Void)?
    /// Called once a capture has handed on its first page; a test throws there what SQLite
    /// would make a capture throw (`PageCaptureError`), to see the backup fall back to staging.
    public var afterFirstCapturedPage: (@Sendable () throws -> Void)?

    public init() {}

    /// Copies `job`'s database into `stagingPath`, which must not exist; check the copy with
    /// `SnapshotCheck` before publishing anything made from it.
    public func copy(
        _ job: BackupJob, into stagingPath: String, cancellation: Cancellation, logger: Logger
    ) throws -> StagedCopy {
        try copy(try open(job, logger: logger), job: job, into: stagingPath, cancellation: cancellation, logger: logger)
    }

    /// Opens `job`'s database and checkpoints it as the job says.
    public func open(_ job: BackupJob, logger: Logger) throws -> OpenedSource {
        let source = try openSource(job)
        let walMode: Bool
        let checkpoint: CheckpointResult?
        do {
            walMode = try source.journalMode() == "wal"
            checkpoint = try job.checkpoint.sqliteKind.flatMap { walMode ? try source.checkpoint($0) : nil }
        } catch let error as SQLiteError {
            throw translate(error, job: job)
        }

        if let result = checkpoint {
            logger.log(
                .checkpointed, level: .debug,
                "checkpoint (\(job.checkpoint.rawValue)): \(result.framesCheckpointed) of \(result.framesInLog) WAL frames copied\(result.wasBusy ? ", stopped early by busy readers or writers" : "")",
                metadata: [LogKey.database: "\(job.name)"])
        }
        let pageSize: Int64
        let pageCount: Int64
        do {
            pageSize = try source.integer("PRAGMA page_size")
            pageCount = try source.integer("PRAGMA page_count")
        } catch let error as SQLiteError {
            throw translate(error, job: job)
        }
        return OpenedSource(
            connection: source, walMode: walMode, pageSize: Int(pageSize), pageCountHint: Int(pageCount))
    }

    /// Copies the opened source into `stagingPath`, which must not exist.
    func copy(
        _ opened: OpenedSource, job: BackupJob, into stagingPath: String, cancellation: Cancellation, logger: Logger
    ) throws -> StagedCopy {
        let source = opened.connection
        let walMode = opened.walMode
        var destination = try openStaging(stagingPath)
        do {
            if walMode {
                try copyInOneReadTransaction(source, to: destination, job: job, cancellation: cancellation)
            } else if let restarts = try copyInSteps(source, to: destination, job: job, cancellation: cancellation) {
                // The abandoned stepped copy left a half-written file behind (the staging file
                // has no journal to roll it back with): copy again into an empty one.
                destination = try openStaging(stagingPath, replacing: true)
                try copyHoldingWritersOff(
                    source, to: destination, job: job, restarts: restarts, cancellation: cancellation, logger: logger)
            }
        } catch let error as SQLiteError {
            throw translate(error, job: job, stagingPath: stagingPath)
        }

        // The copy carries the source's WAL flag in its header; make it a self-contained file.
        try destination.execute("PRAGMA journal_mode=DELETE")
        return StagedCopy(
            path: stagingPath, sqliteVersion: Library.version,
            pageSize: Int(try destination.integer("PRAGMA page_size")),
            pageCount: Int(try destination.integer("PRAGMA page_count")), walMode: walMode)
    }

    /// Creates the staging file (0600, ours alone) and opens it for the copy; `replacing`
    /// removes an earlier attempt's file first.
    private func openStaging(_ stagingPath: String, replacing: Bool = false) throws -> Connection {
        if replacing, unlink(stagingPath) != 0, errno != ENOENT {
            throw FileSystemError("remove staging file", path: stagingPath)
        }
        // Created by us at 0600 so SQLite (which would use 0644) keeps that mode, and its
        // journal inherits it.
        let created = Glibc.open(stagingPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard created >= 0 else { throw FileSystemError("create staging file", path: stagingPath) }
        close(created)
        // SQLite opens the file again by its path. That is the same file only because nobody
        // else can rename or plant anything in the staging folder: `Staging.folder` refused a
        // folder, or a folder above it, that another user could change.
        let destination = try Connection(path: stagingPath, options: [.readWrite, .noFollow])
        // The staging copy needs no crash safety of its own (a crash discards it, and the
        // published file is fsynced), so skip its journal and its fsyncs.
        try destination.execute("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF")
        return destination
    }

    private func openSource(_ job: BackupJob) throws -> Connection {
        let source: Connection
        do {
            // Read-write (a checkpoint writes) but never create: a typo must not make an empty database.
            source = try Connection(path: job.sourcePath, options: [.readWrite, .noFollow])
        } catch let error as SQLiteError {
            throw translate(error, job: job)
        }
        source.setBusyTimeout(milliseconds: job.busyTimeoutMilliseconds)
        return source
    }

    /// In WAL mode one read transaction sees one snapshot and never blocks writers, so the copy
    /// goes in chunks (to notice cancellation) without ever restarting.
    private func copyInOneReadTransaction(
        _ source: Connection, to destination: Connection, job: BackupJob, cancellation: Cancellation
    ) throws {
        try beginReadTransaction(source, job: job)
        defer { try? source.execute("COMMIT") }
        let backup = try OnlineBackup(from: source, to: destination)
        while true {
            if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
            let step = try backup.step(pages: 4096)
            CrashPoint.backupDuringSnapshot.reached()
            switch step {
            case .done: return
            case .more: continue
            case .busy:
                throw BackupError.sourceLocked(path: job.sourcePath, timeoutMilliseconds: job.busyTimeoutMilliseconds)
            }
        }
    }

    /// Starts a read transaction, waiting up to the busy timeout for a writer to let go.
    ///
    /// SQLite's own busy handler sleeps longer and longer between tries (up to 100 ms), and
    /// against a writer that commits back to back it can lose every race until it times out;
    /// polling every 200 µs gets in between two of the writer's transactions.
    func beginReadTransaction(_ source: Connection, job: BackupJob) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + job.busyTimeout
        source.setBusyTimeout(milliseconds: 0)
        defer { source.setBusyTimeout(milliseconds: job.busyTimeoutMilliseconds) }
        while true {
            do {
                try source.execute("BEGIN")
                _ = try source.integer("SELECT count(*) FROM sqlite_schema")
                return
            } catch let error as SQLiteError where error.kind == .busy {
                try? source.execute("ROLLBACK")
                if clock.now >= deadline {
                    throw BackupError.sourceLocked(
                        path: job.sourcePath, timeoutMilliseconds: job.busyTimeoutMilliseconds)
                }
                usleep(200)
            }
        }
    }

    /// In rollback-journal mode a reader blocks writers, so copy in steps and let writers in
    /// between; a write restarts the copy.
    ///
    /// - Returns: nil when the copy is complete; the number of restarts when writers kept
    ///   restarting it more than `maxRestarts` times and it was abandoned.
    private func copyInSteps(
        _ source: Connection, to destination: Connection, job: BackupJob, cancellation: Cancellation
    ) throws -> Int? {
        let backup = try OnlineBackup(from: source, to: destination)
        // The stepped copy holds a write transaction on the staging file until it is finished.
        defer { backup.finish() }
        var restarts = 0
        var copiedBefore = 0
        var busySince: ContinuousClock.Instant?
        let clock = ContinuousClock()
        while restarts <= maxRestarts {
            if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
            let step = try backup.step(pages: pagesPerStep)
            CrashPoint.backupDuringSnapshot.reached()
            switch step {
            case .done: return nil
            case .busy:
                let start = busySince ?? clock.now
                busySince = start
                if clock.now - start > job.busyTimeout {
                    throw BackupError.sourceLocked(
                        path: job.sourcePath, timeoutMilliseconds: job.busyTimeoutMilliseconds)
                }
            case .more:
                busySince = nil
                // A write by another connection makes the next step start again from page 1
                // (https://sqlite.org/c3ref/backup_finish.html), so the pages copied so far go
                // down; `remaining` alone may read the same as after the first step.
                let copied = backup.pageCount - backup.remaining
                if copied <= copiedBefore { restarts += 1 }
                copiedBefore = copied
                // Past the limit the copy is done in one step: no turn for writers first.
                if restarts > maxRestarts { return restarts }
            }
            Thread.sleep(forTimeInterval: pauseBetweenSteps.seconds)
            betweenSteps?()
        }
        return restarts
    }

    /// Writers keep changing the database faster than it can be copied in steps: hold them
    /// off with a read transaction and copy everything in one step.
    private func copyHoldingWritersOff(
        _ source: Connection, to destination: Connection, job: BackupJob, restarts: Int, cancellation: Cancellation,
        logger: Logger
    ) throws {
        let clock = ContinuousClock()
        let started = clock.now
        try beginReadTransaction(source, job: job)
        defer { try? source.execute("COMMIT") }
        let backup = try OnlineBackup(from: source, to: destination)
        defer { backup.finish() }
        while try backup.step(pages: -1) != .done {
            if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
        }
        let blocked = clock.now - started
        logger.log(
            .writersBlocked, level: .warning,
            "writers kept restarting the copy of '\(job.name)' (\(restarts) restarts); copied in one step, blocking writers for \(blocked.milliseconds) ms",
            metadata: [LogKey.database: "\(job.name)", LogKey.durationMS: "\(blocked.milliseconds)"])
    }

    func translate(_ error: SQLiteError, job: BackupJob, stagingPath: String? = nil) -> any Error {
        if error.kind == .diskFull, let stagingPath {
            // Only the staging side of a copy is written.
            return FileSystemError("write the snapshot to", path: stagingPath, errno: ENOSPC)
        }
        return switch error.kind {
        case .cannotOpen:
            FileSystem.exists(job.sourcePath)
                ? BackupError.sourceUnreadable(path: job.sourcePath, reason: error.message)
                : BackupError.sourceMissing(path: job.sourcePath)
        case .symlink: BackupError.sourceIsSymlink(path: job.sourcePath)
        case .notADatabase: BackupError.sourceNotADatabase(path: job.sourcePath)
        case .busy: BackupError.sourceLocked(path: job.sourcePath, timeoutMilliseconds: job.busyTimeoutMilliseconds)
        case .permissionDenied, .readOnly: BackupError.sourceUnreadable(path: job.sourcePath, reason: error.message)
        case .corrupt: BackupError.checkFailed(database: job.name, details: error.message)
        default: error
        }
    }
}

extension CheckpointMode {
    var sqliteKind: Connection.CheckpointKind? {
        switch self {
        case .none: nil
        case .passive: .passive
        case .full: .full
        case .restart: .restart
        case .truncate: .truncate
        }
    }
}
