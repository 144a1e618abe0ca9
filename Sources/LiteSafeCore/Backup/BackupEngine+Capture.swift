import Crypto
import Foundation
import Zstd

/// Where one backup's time went, for its completion line: the next bottleneck, visible.
struct BackupTimings: CustomStringConvertible {
    /// SQLite's copy: the staging copy, or the capture less the compression and encryption it fed.
    var capture = Duration.zero
    /// The check, as far as the backup waited for it.
    var check = Duration.zero
    var compress = Duration.zero
    var encrypt = Duration.zero
    /// Writing the stored bytes, filling a reserved start, reading back, committing.
    var publish = Duration.zero

    mutating func add(_ stream: StoredStream.Timings) {
        compress += stream.compress
        encrypt += stream.encrypt
        publish += stream.write
    }

    var description: String {
        "capture \(capture.milliseconds) ms, check \(check.milliseconds) ms, compress \(compress.milliseconds) ms, encrypt \(encrypt.milliseconds) ms, publish \(publish.milliseconds) ms"
    }
}

extension BackupEngine {
    /// Whether `job`'s snapshot is captured page by page straight into its stores, with no
    /// staging copy: a WAL database (whose writers a long read transaction does not block) whose
    /// every store can fill the start of a backup last, where page 1 goes.
    static func captures(_ job: BackupJob, source: OpenedSource) -> Bool {
        source.walMode && job.targets.allSatisfy { $0.store.fillsReservedStart }
    }

    /// Captures the snapshot page by page into every store's pending backup: pages 2…N are
    /// hashed, compressed and encrypted as SQLite writes them, behind a reserved start; page 1,
    /// which comes last, then fills it (a raw zstd frame, so stock `age -d | zstd -d` yields
    /// the database byte for byte); each store's file is read back before the commit.
    ///
    /// Returns the manifest to commit (format 2: the database's hash is in two parts, page 1
    /// and the rest). A `PageCaptureError` (this SQLite writing its backup otherwise) leaves
    /// nothing published: the caller abandons the pending files and stages instead.
    func captureAndStream(
        _ job: BackupJob, source: OpenedSource, into stores: StoreFanOut, created: Date, cancellation: Cancellation,
        timings: inout BackupTimings
    ) throws -> Manifest {
        let clock = ContinuousClock()
        let started = clock.now
        let stem = try stores.uniqueStem(date: created)
        try stores.begin(
            stem: stem,
            dataExtension: BackupName.dataExtension(compression: job.compression, encrypted: job.encryption.isEncrypted)
        )
        let reserved: Int =
            switch job.compression {
            case .none: source.pageSize
            case .zstd: RawFrame.size(contentSize: source.pageSize)
            }
        let stream = try StoredStream(job: job, into: stores.write, parallel: true, reservingStart: reserved)
        let pages = try snapshotTaker.capture(source, job: job, cancellation: cancellation) { _, page in
            try stream.update(page)
            CrashPoint.backupDuringCompression.reached()
        }
        // The check runs in the capture's read transaction on a thread of its own while the
        // stream is finished, page 1 fills its start and each store's file is synced and read back.
        let checking = BackgroundWork(name: "litesafe-check") { try pages.check(cancellation: cancellation) }
        defer {
            // On every way out the check is over (and the read transaction ended) first.
            pages.interrupt()
            _ = try? checking.wait()
        }
        let start: [UInt8] =
            switch job.compression {
            case .none: pages.firstPage
            case .zstd: pages.firstPage.withUnsafeBytes { RawFrame.encode($0) }
            }
        var mark = clock.now
        // The capture's own time: SQLite copying pages, less the stream it fed.
        timings.capture = mark - started - stream.timings.compress - stream.timings.encrypt - stream.timings.write
        let before = stream.timings
        let (digests, late) = try stream.finish(start: start)
        let storedSHA256 = try stores.fillStart(
            late, streamed: digests.storedChecksum, storedSize: digests.storedSize)
        let after = stream.timings
        timings.add(after)
        // Filling the start, syncing and reading back: the rest of the time since `mark`.
        timings.publish +=
            clock.now - mark - (after.compress - before.compress) - (after.encrypt - before.encrypt)
            - (after.write - before.write)
        mark = clock.now
        // A stop interrupts the check through the cancellation (`SnapshotTaker.capture`).
        let captured = try checking.wait()
        // What the backup waited for the check, beyond the publishing it overlapped.
        timings.check = clock.now - mark
        var firstPageHash = SHA256()
        captured.firstPage.withUnsafeBytes { firstPageHash.update(bufferPointer: $0) }
        return Manifest(
            job: job, format: Manifest.splitHashFormat, created: created, file: stores.fileName,
            sqliteVersion: captured.sqliteVersion, pageSize: captured.pageSize, pageCount: captured.pageCount,
            walMode: true, plaintextSize: digests.plaintextSize + Int64(captured.firstPage.count),
            plaintextSHA256: nil, firstPageSHA256: firstPageHash.finalize().hexString,
            afterFirstPageSHA256: digests.plaintextSHA256, storedSize: digests.storedSize,
            storedSHA256: storedSHA256, check: captured.check)
    }
}
