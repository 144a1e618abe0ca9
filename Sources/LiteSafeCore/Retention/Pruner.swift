import Foundation
import Logging

/// Deletes the backups a retention policy no longer keeps, under the per-database lock.
///
/// Deletion goes through `BackupStore.delete`, which removes the manifest (the commit record)
/// before the data, so a prune killed at any instant leaves each backup whole or unlisted; the
/// data file a kill can leave behind is removed by the next backup's or prune's leftover sweep.
/// A backup whose manifest is damaged is never deleted: only a manifest the store can read,
/// naming one of the database's own data files, leads to a deletion.
public struct Pruner: Sendable {
    /// The clock `keep_within` counts back from (injected so tests can pin it).
    public var now: @Sendable () -> Date = { Date() }

    /// How the damaged manifests it logs read (the executable adds its advice).
    public var errorWording = ErrorWording.plain

    public init() {}

    public init(now: @escaping @Sendable () -> Date, errorWording: ErrorWording = .plain) {
        self.now = now
        self.errorWording = errorWording
    }

    /// What a prune would decide now, without the lock and without deleting (`prune --dry-run`),
    /// a backup the store keeps locked included: kept, as the prune will.
    public func plan(_ database: String, in store: any BackupStore, policy: RetentionPolicy, timeZone: TimeZone)
        throws -> [RetentionDecision]
    {
        var decisions = plan(try store.listing(of: database), policy: policy, timeZone: timeZone)
        for (index, decision) in decisions.enumerated() where decision.action == .delete {
            if let locked = try store.lockedState(of: decision.backup) {
                decisions[index] = Self.keptLocked(decision, locked)
            }
        }
        return decisions
    }

    /// `decision` (a delete) turned into the keep a lock makes it.
    static func keptLocked(_ decision: RetentionDecision, _ locked: BackupLocked) -> RetentionDecision {
        RetentionDecision(
            backup: decision.backup, action: .keep,
            reasons: ["\(locked.state) (\(decision.reasons.joined(separator: ", ")))"])
    }

    private func plan(_ listing: StoreListing, policy: RetentionPolicy, timeZone: TimeZone) -> [RetentionDecision] {
        RetentionPlanner.plan(backups: listing.backups, policy: policy, timeZone: timeZone, now: now())
    }

    /// Takes `database`'s lock (throwing `BackupError.alreadyRunning` while a backup or another
    /// prune holds it), removes leftovers of interrupted runs, and deletes what `policy` does not keep.
    ///
    /// - Returns: the decision for every backup, newest first.
    @discardableResult
    public func prune(
        _ database: String, in store: any BackupStore, policy: RetentionPolicy, timeZone: TimeZone, logger: Logger
    ) throws -> [RetentionDecision] {
        try DatabaseName.validate(database)
        let lock = try store.lock(database: database)
        defer { lock.release() }
        try store.removeLeftovers(database: database).log(database: database, logger: logger)
        return try prune(database, in: store, policy: policy, timeZone: timeZone, holding: lock, logger: logger)
    }

    /// Deletes what `policy` does not keep, for a caller that already holds `database`'s lock
    /// (a backup pruning right after it publishes).
    ///
    /// Stops at the first backup it cannot delete and throws; the ones not yet reached stay. A
    /// backup the store keeps locked (`BackupLocked`) is no failure: its decision becomes `keep`,
    /// for the reason `locked until <date> (<why retention would delete it>)`.
    @discardableResult
    public func prune(
        _ database: String, in store: any BackupStore, policy: RetentionPolicy, timeZone: TimeZone,
        holding lock: any StoreLock, logger: Logger
    ) throws -> [RetentionDecision] {
        let listing = try store.listing(of: database)
        listing.logDamaged(database: database, logger: logger, wording: errorWording)
        var decisions = plan(listing, policy: policy, timeZone: timeZone)
        // Oldest first: a prune that stops early leaves the newer backups, the ones more likely wanted.
        for (index, decision) in decisions.enumerated().reversed() where decision.action == .delete {
            let backup = decision.backup
            do {
                try store.delete(backup)
            } catch let locked as BackupLocked {
                // The store was told to lock what it writes: keeping it is the configured outcome, not a failure.
                let why = decision.reasons.joined(separator: ", ")
                decisions[index] = Self.keptLocked(decision, locked)
                logger.info(
                    "kept backup \(backup.manifest.file) of '\(database)' that retention would delete (\(why)): the store keeps it \(locked.state) against deletion",
                    metadata: [LogKey.database: "\(database)", LogKey.backup: "\(backup.manifest.file)"])
                continue
            }
            logger.log(
                .pruned,
                "pruned backup \(backup.manifest.file) of '\(database)': \(decision.reasons.joined(separator: ", "))",
                metadata: [LogKey.database: "\(database)", LogKey.backup: "\(backup.manifest.file)"])
            CrashPoint.pruneAfterDelete.reached()
        }
        if listing.backups.contains(where: { $0.manifest.pages != nil }) {
            try PackSweep.sweep(database, in: store, logger: logger)
        }
        return decisions
    }
}
