import Foundation
import Logging
import SQLite

extension BackupEngine {
    /// Stores one logical SQL dump of `job`'s database (`LogicalDump`, one read transaction)
    /// beside its snapshots: through the same zstd → age pipeline, published with a manifest
    /// saying `"kind": "dump"`, read back and checked, then pruned with the dumps' own count.
    ///
    /// Everything a snapshot gets holds: the per-database lock, the leftover sweep, nothing
    /// visible until the manifest is committed, older backups untouched on any failure.
    public func storeDump(_ job: BackupJob, cancellation: Cancellation = Cancellation(), logger: Logger) throws
        -> BackupResult
    {
        if lowersPriority { job.cpuPriority.applyToCallingThread() }
        try DatabaseName.validate(job.name)
        let clock = ContinuousClock()
        let started = clock.now
        let metadata: Logger.Metadata = [LogKey.database: "\(job.name)", LogKey.kind: "dump"]
        logger.log(.backupStarted, "dump of '\(job.name)' started", metadata: metadata)

        let lock = try job.store.lock(database: job.name)
        defer { lock.release() }
        try job.store.removeLeftovers(database: job.name).log(database: job.name, logger: logger)
        if case .none = job.encryption {
            logger.log(
                .plaintextBackup, level: .warning, "dump of '\(job.name)' is NOT encrypted (encryption: none)",
                metadata: metadata)
        }

        let created = BackupName.truncatedToMicroseconds(now())
        let stem = try uniqueStem(job: job, date: created)
        let pending = try job.store.beginBackup(
            database: job.name, stem: stem,
            dataExtension: BackupName.dumpExtension(compression: job.compression, encrypted: job.encryption.isEncrypted)
        )
        do {
            // A dump's size is unknown until it ends: zstd's workers always help past its first job.
            let stream = try StoredStream(job: job, into: pending.write, parallel: true)
            let summary: LogicalDump.Summary
            do {
                summary = try LogicalDump().write(databaseAt: job.sourcePath, busyTimeout: job.busyTimeout) { chunk in
                    if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
                    try stream.update(chunk)
                    CrashPoint.backupDuringCompression.reached()
                }
            } catch let error as SQLiteError {
                throw snapshotTaker.translate(error, job: job)
            }
            let digests = try stream.finish()
            for warning in summary.warnings {
                logger.warning("dump of '\(job.name)': \(warning)", metadata: metadata)
            }
            let manifest = Manifest(
                job: job, created: created, file: pending.fileName, sqliteVersion: summary.sqliteVersion,
                pageSize: summary.pageSize, pageCount: summary.pageCount, walMode: summary.walMode,
                plaintextSize: digests.plaintextSize, plaintextSHA256: digests.plaintextSHA256,
                storedSize: digests.storedSize, storedSHA256: digests.storedSHA256, check: Self.dumpCheck, kind: .dump)
            if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
            let stored = try pending.commit(manifest: manifest)
            try verifyStored(stored, store: job.store)
            let duration = clock.now - started
            logger.log(
                .backupCompleted,
                "dump of '\(job.name)' completed: \(pending.fileName) (\(ByteCount(digests.storedSize)) stored, \(ByteCount(digests.plaintextSize)) SQL, \(summary.tables) tables, \(summary.rows) rows) in \(duration.milliseconds) ms",
                metadata: metadata.merging([
                    LogKey.backup: "\(pending.fileName)", LogKey.bytes: "\(digests.storedSize)",
                    LogKey.durationMS: "\(duration.milliseconds)",
                ]) { $1 })
            var result = BackupResult(backup: stored, duration: duration)
            if let retention = job.retention {
                (result.retention, result.pruneError) = prune(
                    job, in: job.store, policy: retention, holding: lock, logger: logger)
            }
            return result
        } catch {
            pending.abandon()
            throw error
        }
    }

    /// What a dump's manifest records as its check: every row was read in one read
    /// transaction without SQLite reporting damage (retention counts it as passed).
    public static let dumpCheck = "dump read ok"
}
