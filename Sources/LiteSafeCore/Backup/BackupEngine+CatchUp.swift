import Foundation
import Logging

extension BackupEngine {
    /// Gives each of `job`'s stores named in `names` (every one when nil) the backups it lacks
    /// that another of its stores holds and its retention keeps, newest first, without taking a
    /// new backup: what the daemon runs to retry a store that missed a backup.
    ///
    /// Each store is locked and cleaned of leftovers as for a backup. Returns how each store
    /// fared, in the job's order: `error` for a store that could not even be opened,
    /// `catchUpError` for one whose copying failed; `caughtUp` lists what each got.
    ///
    /// - Throws: only when no store of the job could be opened.
    public func catchUp(
        _ job: BackupJob, into names: Set<String>? = nil, cancellation: Cancellation = Cancellation(),
        logger: Logger
    ) throws -> [StoreOutcome] {
        try DatabaseName.validate(job.name)
        let stores = StoreFanOut(job: job, logger: logger, errorWording: errorWording)
        try stores.open()
        defer { stores.releaseLocks() }
        stores.catchUp(into: names, now: now(), cancellation: cancellation, check: verifyStored)
        return stores.outcomes
    }
}
