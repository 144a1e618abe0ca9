import Foundation
import LiteSafeCore
import LiteSafePresentation
import Logging

/// Runs one backup of one database, synchronously, on the calling thread.
///
/// The daemon calls it on a thread of its own, never on its scheduling queue, and reports the
/// result back there. Tests inject runners that block, fail or count instead of backing up.
public protocol BackupRunner: Sendable {
    /// Backs up `job`'s database once; stops early, publishing nothing, once `cancellation` is set.
    ///
    /// - Throws: why the backup failed; `BackupError.cancelled` after a cancellation.
    func backUp(_ job: BackupJob, cancellation: Cancellation, logger: Logger) throws -> BackupSummary

    /// Takes no backup: gives each of `job`'s stores the backups it lacks that another holds
    /// (`BackupEngine.catchUp`): the retry of stores that missed a backup. The summary's
    /// `failedStores` are those still behind.
    ///
    /// - Throws: when none of the job's stores could be opened; `BackupError.cancelled` after a
    ///   cancellation.
    func catchUpStores(_ job: BackupJob, cancellation: Cancellation, logger: Logger) throws -> BackupSummary
}

/// What the daemon keeps of a successful backup: enough for the status line, the state file
/// and the metrics.
public struct BackupSummary: Sendable, Hashable {
    /// Its size as stored (compressed and encrypted).
    public var storedSize: Int64
    /// Its data file's name.
    public var file: String?
    /// How long it took, as the engine measured it.
    public var duration: Duration?
    /// How many backups of its kind (snapshots, or dumps) the store holds after it (and its
    /// prune), if known.
    public var retained: Int?
    /// The names of the database's stores, for a database with several; empty for one.
    public var stores: [String] = []
    /// The stores among them that did not get the backup, each with why.
    public var failedStores: [String: String] = [:]

    public init(
        storedSize: Int64, file: String? = nil, duration: Duration? = nil, retained: Int? = nil,
        stores: [String] = [], failedStores: [String: String] = [:]
    ) {
        self.storedSize = storedSize
        self.file = file
        self.duration = duration
        self.retained = retained
        self.stores = stores
        self.failedStores = failedStores
    }
}

/// The real backup: `BackupEngine`, which logs its own start and completion.
public struct EngineBackupRunner: BackupRunner {
    public var engine: BackupEngine
    #if DEBUG
        /// See `TestHooks.hangingDatabase`.
        var hangingDatabase: String? = TestHooks.hangingDatabase
    #endif

    public init(engine: BackupEngine = BackupEngine(errorWording: .advising, lowersPriority: true)) {
        self.engine = engine
    }

    public func backUp(_ job: BackupJob, cancellation: Cancellation, logger: Logger) throws -> BackupSummary {
        #if DEBUG
            if job.name == hangingDatabase { TestHooks.hang(job.name, logger: logger) }
        #endif
        let result = try engine.backUp(job, cancellation: cancellation, logger: logger)
        // What the first store's prune kept, and what it was given since; listed only when it
        // was not pruned (a listing reads every manifest: a LIST and a GET each on S3).
        let first = result.stores.first
        let retained =
            if let first, first.succeeded, first.pruneError == nil, !first.retention.isEmpty {
                first.retention.filter { $0.isKept && $0.backup.manifest.backupKind == job.kind }.count
                    + first.caughtUp.count
            } else {
                try? job.store.backups(of: job.name).filter { $0.manifest.backupKind == job.kind }.count
            }
        let several = result.stores.count > 1
        return BackupSummary(
            storedSize: result.backup.manifest.storedSize, file: result.backup.manifest.file,
            duration: result.duration, retained: retained, stores: several ? result.stores.map(\.store) : [],
            failedStores: behind(result.stores))
    }

    public func catchUpStores(_ job: BackupJob, cancellation: Cancellation, logger: Logger) throws -> BackupSummary {
        let outcomes = try engine.catchUp(job, cancellation: cancellation, logger: logger)
        if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
        return BackupSummary(
            storedSize: 0, stores: outcomes.count > 1 ? outcomes.map(\.store) : [], failedStores: behind(outcomes))
    }

    /// The stores left without a backup another holds, each with why: those that did not take
    /// the backup, and those whose catching up failed.
    private func behind(_ outcomes: [StoreOutcome]) -> [String: String] {
        Dictionary(
            outcomes.compactMap { outcome in
                (outcome.error ?? outcome.catchUpError).map { (outcome.store, engine.errorWording($0)) }
            },
            uniquingKeysWith: { first, _ in first })
    }
}
