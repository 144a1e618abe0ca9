import Age
import Crypto
import Foundation
import Logging
import SQLite
import Zstd

/// What one successful backup produced.
public struct BackupResult: Sendable {
    public let backup: StoredBackup
    public let duration: Duration
    /// What the prune after the backup decided; empty when the job has no retention or it failed.
    public var retention: [RetentionDecision] = []
    /// Why the prune after the backup failed, if it did; the backup itself still succeeded.
    public var pruneError: (any Error)? = nil
    /// How each of the job's stores fared, in the job's order. `backup`, `retention` and
    /// `pruneError` above are those of the first store that got the backup.
    public var stores: [StoreOutcome] = []

    /// The stores that did not get the backup (the backup succeeded in at least one other).
    public var failedStores: [StoreOutcome] { stores.filter { !$0.succeeded } }
}

/// Turns a live database into a published backup: snapshot → check → zstd → age → durable
/// file + manifest. One call is one backup; the daemon's timer only calls this.
public struct BackupEngine: Sendable {
    public var snapshotTaker = SnapshotTaker()
    /// The clock that stamps backups (injected so tests can pin it).
    public var now: @Sendable () -> Date = { Date() }
    /// How the errors it logs read (the executable adds its advice).
    public var errorWording = ErrorWording.plain
    /// Whether a backup puts the thread that calls it (and every thread it starts) at its job's
    /// `cpuPriority`, for good, giving way to the application's writers. For a caller whose thread
    /// is the backup's alone (the daemon's backup threads, the `litesafe backup` process); off by
    /// default, as a thread's priority cannot be raised back.
    public var lowersPriority = false

    public init() {}

    public init(errorWording: ErrorWording, lowersPriority: Bool = false) {
        self.errorWording = errorWording
        self.lowersPriority = lowersPriority
    }

    /// Backs up `job`'s database once (a snapshot, or a SQL dump when `job.kind` says so), to each
    /// of its stores (a dump: to its first). On any failure nothing is
    /// published, staging and temporary files are removed, and older backups are untouched.
    ///
    /// The backup is taken, checked, compressed and encrypted once, and the same bytes and
    /// manifest go to every store. A store that fails is left out (nothing partial is listed
    /// there; `BackupResult.stores` says why, and it is logged as `storeFailed` with its name)
    /// and the others carry on: the backup succeeds when at least one store got it, and throws
    /// the last store's error when none did.
    public func backUp(_ job: BackupJob, cancellation: Cancellation = Cancellation(), logger: Logger) throws
        -> BackupResult
    {
        if job.kind == .dump { return try storeDump(job, cancellation: cancellation, logger: logger) }
        if lowersPriority { job.cpuPriority.applyToCallingThread() }
        try DatabaseName.validate(job.name)
        let clock = ContinuousClock()
        let started = clock.now
        let metadata: Logger.Metadata = [LogKey.database: "\(job.name)"]
        logger.log(.backupStarted, "backup of '\(job.name)' started", metadata: metadata)

        let stores = StoreFanOut(job: job, logger: logger, errorWording: errorWording)
        try stores.open()
        defer { stores.releaseLocks() }
        if case .none = job.encryption {
            logger.log(
                .plaintextBackup, level: .warning, "backup of '\(job.name)' is NOT encrypted (encryption: none)",
                metadata: metadata)
        }

        let created = BackupName.truncatedToMicroseconds(now())
        var timings = BackupTimings()
        do {
            let source = try snapshotTaker.open(job, logger: logger)
            var manifest: Manifest?
            var pageCommit: PageCommit?
            if job.format == .pages {
                (manifest, pageCommit) = try storePages(
                    job, source: source, into: stores, created: created, cancellation: cancellation, logger: logger,
                    timings: &timings)
            } else if Self.captures(job, source: source) {
                do {
                    manifest = try captureAndStream(
                        job, source: source, into: stores, created: created, cancellation: cancellation,
                        timings: &timings)
                } catch let failure as PageCaptureError {
                    // This SQLite writes its backup otherwise than the capture relies on: nothing
                    // is published yet, so throw the pending files away and stage, as before.
                    stores.abandon()
                    logger.log(
                        .captureFellBack, level: .warning,
                        "the page capture of '\(job.name)' failed (\(failure)); staging the snapshot instead",
                        metadata: metadata.merging([LogKey.error: "\(failure)"]) { $1 })
                }
            }
            // A captured backup was read back before its commit (its stored hash comes from there).
            let readBack = manifest != nil && pageCommit == nil
            if manifest == nil {
                manifest = try stageAndStream(
                    job, source: source, into: stores, created: created, cancellation: cancellation, logger: logger,
                    timings: &timings)
            }
            guard let manifest else { preconditionFailure("a backup without a manifest") }
            if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
            let publishing = clock.now
            try stores.commit(manifest: manifest, check: readBack ? { _, _ in } : verifyStored)
            timings.publish += clock.now - publishing
            if let pageCommit {
                keep(pageCommit, job: job, logger: logger)
            }
            let duration = clock.now - started
            let failed = stores.outcomes.filter { !$0.succeeded }.map(\.store)
            let storeNote =
                job.targets.count == 1
                ? ""
                : " to \(stores.outcomes.filter(\.succeeded).map(\.store).joined(separator: ", "))"
                    + (failed.isEmpty ? "" : " (not to \(failed.joined(separator: ", ")), which failed)")
            logger.log(
                .backupCompleted,
                "backup of '\(job.name)' completed\(storeNote): \(manifest.file) (\(ByteCount(manifest.storedSize)) stored, \(ByteCount(manifest.plaintextSize)) database) in \(duration.milliseconds) ms (\(timings))",
                metadata: metadata.merging([
                    LogKey.backup: "\(manifest.file)", LogKey.bytes: "\(manifest.storedSize)",
                    LogKey.durationMS: "\(duration.milliseconds)",
                ]) { $1 })
            stores.forEachPublished { target, lock, outcome in
                guard let retention = target.retention else { return }
                (outcome.retention, outcome.pruneError) = prune(
                    job, in: target.store, policy: retention, holding: lock, logger: stores.logger(for: target))
            }
            // A store that missed earlier backups (down, full, or added since) gets those its
            // retention keeps, now that it took this one.
            stores.catchUp(now: now(), cancellation: cancellation, check: verifyStored)
            // At least one store holds it, or `commit` would have thrown.
            let first = stores.outcomes.first(where: \.succeeded)!
            var result = BackupResult(backup: first.backup!, duration: duration)
            (result.retention, result.pruneError, result.stores) = (first.retention, first.pruneError, stores.outcomes)
            return result
        } catch {
            stores.abandon()
            if let error = error as? BackupError, error.code == .checkFailed {
                logCheckFailed(error, metadata: metadata, logger: logger)
            }
            throw error
        }
    }

    /// Keeps a committed page snapshot's table for the next backup; a failure costs that backup
    /// a full copy of the pages, so it is logged, not thrown.
    func keep(_ commit: PageCommit, job: BackupJob, logger: Logger) {
        do {
            try commit.state.keep(commit.table, stem: commit.stem, keyName: commit.keyName)
        } catch {
            logger.warning(
                "backup of '\(job.name)' was published, but its page table could not be kept (\(errorWording(error))): the next backup stores every page again",
                metadata: [LogKey.database: "\(job.name)", LogKey.error: "\(errorWording(error))"])
        }
    }

    func logCheckFailed(_ error: BackupError, metadata: Logger.Metadata, logger: Logger) {
        logger.log(
            .checkFailed, level: .error, "\(errorWording(error))",
            metadata: metadata.merging([LogKey.error: "\(errorWording(error))"]) { $1 })
    }

    /// Prunes after a published backup. A failure is logged (`pruneFailed`, at error level) and
    /// returned, never thrown: the new backup is good, and the next run retries the prune.
    func prune(
        _ job: BackupJob, in store: any BackupStore, policy: RetentionPolicy, holding lock: any StoreLock,
        logger: Logger
    ) -> ([RetentionDecision], (any Error)?) {
        do {
            let decisions = try Pruner(now: now, errorWording: errorWording).prune(
                job.name, in: store, policy: policy, timeZone: job.timeZone, holding: lock, logger: logger)
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

    /// Takes the snapshot into a staging file (a rollback-journal database, or a store that
    /// cannot fill a reserved start), then reads it once, hashing it, compressing it (on zstd's
    /// worker threads, which overlaps compression with encryption here) and encrypting it into
    /// every store's pending backup while `SnapshotCheck` checks it on a thread of its own.
    /// Returns the manifest to commit.
    private func stageAndStream(
        _ job: BackupJob, source: OpenedSource, into stores: StoreFanOut, created: Date, cancellation: Cancellation,
        logger: Logger, timings: inout BackupTimings
    ) throws -> Manifest {
        let clock = ContinuousClock()
        var mark = clock.now
        // A staging folder only this user can change: SQLite reopens the staged copy by its path.
        let staging = try Staging.folder(job.stagingDirectory)
        try Staging.removeLeftovers(in: staging, database: job.name)
        let stagingPath = Staging.path(in: job.stagingDirectory, database: job.name)
        defer { Staging.remove(stagingPath) }

        let staged = try snapshotTaker.copy(
            source, job: job, into: stagingPath, cancellation: cancellation, logger: logger)
        timings.capture = clock.now - mark
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

        let stem = try stores.uniqueStem(date: created)
        try stores.begin(
            stem: stem,
            dataExtension: BackupName.dataExtension(compression: job.compression, encrypted: job.encryption.isEncrypted)
        )
        let size = try FileSystem.size(staged.path)
        let stream = try StoredStream(job: job, into: stores.write, parallel: size > 4 << 20)
        try FileReader(path: staged.path).forEachChunk(size: 1 << 20) { chunk in
            if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
            try stream.update(chunk)
            CrashPoint.backupDuringCompression.reached()
        }
        let digests = try stream.finish()
        timings.add(stream.timings)
        mark = clock.now
        let snapshot = try checking.wait {
            if cancellation.isCancelled { check.interrupt() }
        }
        timings.check = clock.now - mark
        return Manifest(
            job: job, created: created, file: stores.fileName, sqliteVersion: snapshot.sqliteVersion,
            pageSize: snapshot.pageSize, pageCount: snapshot.pageCount, walMode: snapshot.walMode,
            plaintextSize: digests.plaintextSize, plaintextSHA256: digests.plaintextSHA256,
            storedSize: digests.storedSize, storedSHA256: digests.storedSHA256, check: snapshot.check)
    }

    /// Reads the published file back and checks it against the manifest: catches a write the
    /// disk or the kernel got wrong while good copies still exist.
    func verifyStored(_ stored: StoredBackup, store: any BackupStore) throws {
        // An object store that checked the service's checksum at commit has read nothing back
        // wrong; downloading the whole object again would double every backup's traffic.
        if store.confirmsStoredBytes { return }
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
