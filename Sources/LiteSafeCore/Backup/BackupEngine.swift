import Age
import Crypto
import Foundation
import Logging
import Zstd

/// What one successful backup produced.
public struct BackupResult: Sendable {
    public let backup: StoredBackup
    public let duration: Duration
    /// What the prune after the backup decided; empty when the job has no retention or it failed.
    public var retention: [RetentionDecision] = []
    /// Why the prune after the backup failed, if it did; the backup itself still succeeded.
    public var pruneError: (any Error)? = nil
}

/// Turns a live database into a published backup: snapshot → check → zstd → age → durable
/// file + manifest. One call is one backup; the daemon's timer only calls this.
public struct BackupEngine: Sendable {
    public var snapshotTaker = SnapshotTaker()
    /// The clock that stamps backups (injected so tests can pin it).
    public var now: @Sendable () -> Date = { Date() }
    /// How the errors it logs read (the executable adds its advice).
    public var errorWording = ErrorWording.plain

    public init() {}

    public init(errorWording: ErrorWording) { self.errorWording = errorWording }

    /// Backs up `job`'s database once (a snapshot, or a SQL dump when `job.kind` says so). On any failure nothing is published, staging and
    /// temporary files are removed, and older backups are untouched.
    public func backUp(_ job: BackupJob, cancellation: Cancellation = Cancellation(), logger: Logger) throws
        -> BackupResult
    {
        if job.kind == .dump { return try storeDump(job, cancellation: cancellation, logger: logger) }
        try DatabaseName.validate(job.name)
        let clock = ContinuousClock()
        let started = clock.now
        let metadata: Logger.Metadata = [LogKey.database: "\(job.name)"]
        logger.log(.backupStarted, "backup of '\(job.name)' started", metadata: metadata)

        let lock = try job.store.lock(database: job.name)
        defer { lock.release() }
        try job.store.removeLeftovers(database: job.name).log(database: job.name, logger: logger)
        if case .none = job.encryption {
            logger.log(
                .plaintextBackup, level: .warning, "backup of '\(job.name)' is NOT encrypted (encryption: none)",
                metadata: metadata)
        }

        // A staging folder only this user can change: SQLite reopens the staged copy by its path.
        let staging = try Staging.folder(job.stagingDirectory)
        try Staging.removeLeftovers(in: staging, database: job.name)
        let stagingPath = Staging.path(in: job.stagingDirectory, database: job.name)
        defer { Staging.remove(stagingPath) }

        let created = BackupName.truncatedToMicroseconds(now())
        let staged: StagedCopy
        do {
            staged = try snapshotTaker.copy(job, into: stagingPath, cancellation: cancellation, logger: logger)
        } catch let error as BackupError {
            if error.code == .checkFailed { logCheckFailed(error, metadata: metadata, logger: logger) }
            throw error
        }
        CrashPoint.backupAfterSnapshot.reached()

        // The check reads the staged copy on its own thread while the stream below reads it
        // too; nothing is published before both are done and the check passed.
        let check = try SnapshotCheck(staged, job: job)
        let checking = BackgroundWork(name: "litesafe-check") { try check.run(cancellation: cancellation) }
        defer {
            // On every way out the check is over before the staging file goes.
            check.interrupt()
            _ = try? checking.wait()
        }

        let stem = try uniqueStem(job: job, date: created)
        let pending = try job.store.beginBackup(
            database: job.name, stem: stem,
            dataExtension: BackupName.dataExtension(compression: job.compression, encrypted: job.encryption.isEncrypted)
        )
        do {
            let digests = try stream(staged, job: job, into: pending, cancellation: cancellation)
            let snapshot: Snapshot
            do {
                snapshot = try checking.wait {
                    if cancellation.isCancelled { check.interrupt() }
                }
            } catch let error as BackupError {
                if error.code == .checkFailed { logCheckFailed(error, metadata: metadata, logger: logger) }
                throw error
            }
            let manifest = Manifest(
                database: job.name, sourcePath: job.sourcePath, created: created, file: pending.fileName,
                sqliteVersion: snapshot.sqliteVersion, pageSize: snapshot.pageSize, pageCount: snapshot.pageCount,
                walMode: snapshot.walMode, plaintextSize: digests.plaintextSize,
                plaintextSHA256: digests.plaintextSHA256,
                storedSize: digests.storedSize, storedSHA256: digests.storedSHA256,
                compression: job.compression.description, encryption: job.encryption.isEncrypted ? "age" : "none",
                recipients: job.encryption.recipientStrings, check: snapshot.check,
                litesafeVersion: LiteSafeVersion.current)
            if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
            let stored = try pending.commit(manifest: manifest)
            try verifyStored(stored, store: job.store)
            let duration = clock.now - started
            logger.log(
                .backupCompleted,
                "backup of '\(job.name)' completed: \(pending.fileName) (\(ByteCount(digests.storedSize)) stored, \(ByteCount(digests.plaintextSize)) database) in \(duration.milliseconds) ms",
                metadata: metadata.merging([
                    LogKey.backup: "\(pending.fileName)", LogKey.bytes: "\(digests.storedSize)",
                    LogKey.durationMS: "\(duration.milliseconds)",
                ]) { $1 })
            var result = BackupResult(backup: stored, duration: duration)
            if let retention = job.retention {
                (result.retention, result.pruneError) = prune(job, policy: retention, holding: lock, logger: logger)
            }
            return result
        } catch {
            pending.abandon()
            throw error
        }
    }

    func logCheckFailed(_ error: BackupError, metadata: Logger.Metadata, logger: Logger) {
        logger.log(
            .checkFailed, level: .error, "\(errorWording(error))",
            metadata: metadata.merging([LogKey.error: "\(errorWording(error))"]) { $1 })
    }

    /// Prunes after a published backup. A failure is logged (`pruneFailed`, at error level) and
    /// returned, never thrown: the new backup is good, and the next run retries the prune.
    func prune(_ job: BackupJob, policy: RetentionPolicy, holding lock: any StoreLock, logger: Logger)
        -> ([RetentionDecision], (any Error)?)
    {
        do {
            let decisions = try Pruner(now: now, errorWording: errorWording).prune(
                job.name, in: job.store, policy: policy, timeZone: job.timeZone, holding: lock, logger: logger)
            return (decisions, nil)
        } catch {
            logger.log(
                .pruneFailed, level: .error,
                "pruning '\(job.name)' after its backup failed: \(errorWording(error)); the backup was published, and the next backup retries the prune",
                metadata: [LogKey.database: "\(job.name)", LogKey.error: "\(errorWording(error))"])
            return ([], error)
        }
    }

    func uniqueStem(job: BackupJob, date: Date) throws -> String {
        var collision = 0
        while try job.store.isTaken(
            stem: BackupName.stem(database: job.name, date: date, collision: collision), database: job.name)
        {
            collision += 1
        }
        return BackupName.stem(database: job.name, date: date, collision: collision)
    }

    /// Reads the snapshot once, hashing it, compressing it (on zstd's worker threads, which
    /// overlaps compression with encryption here) and encrypting it into `pending`.
    private func stream(
        _ snapshot: StagedCopy, job: BackupJob, into pending: any PendingBackup, cancellation: Cancellation
    )
        throws -> StoredStream.Digests
    {
        let size = try FileSystem.size(snapshot.path)
        let stream = try StoredStream(job: job, into: pending, parallel: size > 4 << 20)
        try FileReader(path: snapshot.path).forEachChunk(size: 1 << 20) { chunk in
            if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
            try stream.update(chunk)
            CrashPoint.backupDuringCompression.reached()
        }
        return try stream.finish()
    }

    /// Reads the published file back and checks it against the manifest: catches a write the
    /// disk or the kernel got wrong while good copies still exist.
    func verifyStored(_ stored: StoredBackup, store: any BackupStore) throws {
        do {
            try Verifier.checkStoredBytes(stored, store: store)
        } catch BackupError.hashMismatch {
            // Published but not what we wrote: it must not stay listed as a good backup.
            try? store.delete(stored)
            throw BackupError.readBackMismatch(path: stored.dataLocation)
        }
    }
}

extension Encryption {
    var isEncrypted: Bool { if case .recipients = self { true } else { false } }
    var recipients: [X25519Recipient]? { if case .recipients(let list) = self { list } else { nil } }
    var recipientStrings: [String] { recipients?.map(\.description) ?? [] }
}

extension Digest {
    /// Lower-case hex, as `sha256sum` prints it.
    public var hexString: String {
        var text = ""
        text.reserveCapacity(Self.byteCount * 2)
        for byte in self {
            text += String(byte >> 4, radix: 16) + String(byte & 0x0f, radix: 16)
        }
        return text
    }
}

/// A byte count an operator reads ("4.1 MB").
public struct ByteCount: CustomStringConvertible, Sendable {
    public let bytes: Int64
    public init(_ bytes: Int64) { self.bytes = bytes }
    public var description: String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
