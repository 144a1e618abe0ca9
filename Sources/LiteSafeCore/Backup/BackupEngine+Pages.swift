import Crypto
import Foundation
import Logging

/// What a page snapshot leaves to do once its manifest is committed: keep its table for the
/// next backup.
struct PageCommit {
    let state: PageState
    let table: PageTable
    let stem: String
    let keyName: String
}

extension BackupEngine {
    /// Stores `job`'s snapshot in its page store (`format: pages`): each page whose content
    /// changed since the last snapshot this machine took goes into new packs, and the
    /// encrypted index becomes the backup's data file, to be committed with a format-3
    /// manifest listing the packs. A WAL database is captured page by page; a rollback-journal
    /// one is staged and read back in order. The check runs as for a full backup, and nothing
    /// refers to the new packs until the manifest is committed.
    func storePages(
        _ job: BackupJob, source: OpenedSource, into stores: StoreFanOut, created: Date, cancellation: Cancellation,
        logger: Logger, timings: inout BackupTimings
    ) throws -> (Manifest, PageCommit) {
        guard job.targets.count == 1, let stateFolder = job.pageStateDirectory else {
            throw PageStoreError(
                .invalidInput, object: job.store.location(of: job.name),
                reason: "format: pages keeps one page store and needs a state folder for its key")
        }
        let clock = ContinuousClock()
        let started = clock.now
        let store = job.store
        let objects = try store.pageObjects(database: job.name)
        let state = PageState(folder: stateFolder, database: job.name)
        let (key, keyName) = try state.key(in: objects, encryption: job.encryption)
        var previous: (any PreviousPages)?
        do {
            previous = try state.lastPages(keyName: keyName) { stem in
                try store.listing(of: job.name).backups.contains { $0.id.stem == stem && $0.manifest.pages != nil }
            }
        } catch let error as PageStoreError where error.code == .damagedObject {
            // Only what the next backup can skip is lost: it stores every page.
            logger.warning(
                "the page table kept for '\(job.name)' cannot be read (\(error)); this backup stores every page",
                metadata: [LogKey.database: "\(job.name)"])
        }
        let level: Int =
            switch job.compression {
            case .zstd(let level): level
            case .none: 3
            }
        let writer = try PageSnapshotWriter(
            objects: objects, key: key, keyName: keyName, encryption: job.encryption, level: level,
            pageSize: source.pageSize, previous: previous, pageCountHint: source.pageCountHint,
            repacks: job.retention != nil)
        let sqliteVersion: String
        let check: String
        let walMode = source.walMode
        if walMode {
            let pages = try snapshotTaker.capture(source, job: job, cancellation: cancellation) { number, page in
                try writer.add(pageNumber: UInt32(number), page: page)
            }
            let checking = BackgroundWork(name: "litesafe-check") { try pages.check(cancellation: cancellation) }
            defer {
                pages.interrupt()
                _ = try? checking.wait()
            }
            try pages.firstPage.withUnsafeBytes { try writer.add(pageNumber: 1, page: $0) }
            timings.capture = clock.now - started
            let waiting = clock.now
            let checked = try checking.wait()
            timings.check = clock.now - waiting
            guard checked.pageCount == writer.pageCount else {
                throw PageStoreError(
                    .invalidInput, reason: "the capture gave \(writer.pageCount) pages of \(checked.pageCount)")
            }
            (sqliteVersion, check) = (checked.sqliteVersion, checked.check)
        } else {
            // A rollback-journal database: a reader there blocks its writers, so the snapshot is
            // staged (as for a full backup) and read back in order while the check runs on it.
            let staging = try Staging.folder(job.stagingDirectory)
            try Staging.removeLeftovers(in: staging, database: job.name)
            let stagingPath = Staging.path(in: job.stagingDirectory, database: job.name)
            defer { Staging.remove(stagingPath) }
            let staged = try snapshotTaker.copy(
                source, job: job, into: stagingPath, cancellation: cancellation, logger: logger)
            timings.capture = clock.now - started
            CrashPoint.backupAfterSnapshot.reached()
            let snapshotCheck = try SnapshotCheck(staged, job: job)
            let checking = BackgroundWork(name: "litesafe-check") { try snapshotCheck.run(cancellation: cancellation) }
            defer {
                snapshotCheck.interrupt()
                _ = try? checking.wait()
            }
            let pageSize = staged.pageSize
            var number: UInt32 = 1
            // Chunks of 1 MiB hold whole pages: page sizes are powers of two up to 64 KiB.
            try FileReader(path: staged.path).forEachChunk(size: 1 << 20) { chunk in
                if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
                var offset = 0
                while offset + pageSize <= chunk.count {
                    try writer.add(
                        pageNumber: number, page: UnsafeRawBufferPointer(rebasing: chunk[offset..<offset + pageSize]))
                    number += 1
                    offset += pageSize
                }
                if offset != chunk.count {
                    throw PageStoreError(.invalidInput, reason: "the staged copy is not a whole number of pages")
                }
            }
            let waiting = clock.now
            let checked = try checking.wait {
                if cancellation.isCancelled { snapshotCheck.interrupt() }
            }
            timings.check = clock.now - waiting
            (sqliteVersion, check) = (checked.sqliteVersion, checked.check)
        }
        let result = try writer.finish(walMode: walMode)
        let stem = try stores.uniqueStem(date: created)
        try stores.begin(stem: stem, dataExtension: BackupName.pagesExtension(encrypted: job.encryption.isEncrypted))
        try result.sealedIndex.withUnsafeBytes { try stores.write($0) }
        let manifest = Manifest(
            job: job, format: Manifest.pageSnapshotFormat, created: created, file: stores.fileName,
            sqliteVersion: sqliteVersion, pageSize: result.table.pageSize, pageCount: result.table.pageCount,
            walMode: walMode, plaintextSize: Int64(result.table.pageCount) * Int64(result.table.pageSize),
            plaintextSHA256: nil, firstPageSHA256: result.firstPageSHA256,
            afterFirstPageSHA256: result.afterFirstPageSHA256, storedSize: Int64(result.sealedIndex.count),
            storedSHA256: SHA256.hash(data: result.sealedIndex).hexString, check: check, pages: result.facts)
        return (manifest, PageCommit(state: state, table: result.table, stem: stem, keyName: keyName))
    }
}
