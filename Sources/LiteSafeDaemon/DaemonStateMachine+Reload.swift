import Foundation
import LiteSafeCore
import LiteSafePresentation
import Logging

extension DaemonStateMachine {
    /// A reload was asked for (SIGHUP, or `reload()`): loads the configuration file again.
    ///
    /// systemd hears `RELOADING=1` first and `READY=1` after, either way (sd_notify(3)); a
    /// refused file shows in the status line until a reload succeeds. A reload asked for while
    /// start-up or another reload reads the stores follows once they are read.
    mutating func reloadRequested(now: ClockReading) -> [Action] {
        beginReload(now: now)
        return takeActions()
    }

    mutating func beginReload(now: ClockReading) {
        if phase == .loading || reloadInProgress {
            reloadQueued = true
            return
        }
        guard phase == .starting || phase == .running else { return finishReload(now: now) }
        emit(.notify(.reloading))
        emit(.loadConfiguration(path: configuration.sourceFile))
    }

    /// The configuration file was read: a valid one has its new stores listed (off the queue)
    /// before it is applied; an invalid one is refused and the running configuration kept.
    mutating func configurationLoaded(_ result: Result<LoadedConfiguration, any Error>, now: ClockReading)
        -> [Action]
    {
        let path = configuration.sourceFile
        guard phase == .starting || phase == .running else {
            finishReload(now: now)
            return takeActions()
        }
        let loaded: LoadedConfiguration
        switch result {
        case .failure(let error):
            reloadFailed = true
            let reasons: String
            if let error = error as? ConfigurationError {
                let errors = error.errors.map(ErrorMessage.describe)
                reasons = "\(errors.count) \(errors.count == 1 ? "error" : "errors"): " + errors.joined(separator: "; ")
            } else {
                reasons = Daemon.errorText(error)
            }
            log(
                .reloadFailed, level: .error,
                "reload of \(path) refused, still running the previous configuration; \(reasons)",
                metadata: [LogKey.path: "\(path)", LogKey.error: "\(reasons)"])
            publishStatus(now: now)
            emit(.notify(.reloaded(status: statusLine(now: now))))
            finishReload(now: now)
            return takeActions()
        case .success(let value):
            loaded = value
        }
        for warning in loaded.warnings {
            log(level: .warning, "\(warning)", metadata: [LogKey.path: "\(path)"])
        }
        let new = loaded.configuration
        let current = configuration
        let added = new.databases.filter { current.database(named: $0.name) == nil }
        // A database whose backups now go elsewhere is scheduled from its history there; one
        // that now backs up another file has no backup of it yet, wherever they go.
        let relocated = new.movedDatabases(since: current)
        reloadInProgress = true
        emit(
            .readStoresForReload(
                ReloadListing(
                    configuration: new, path: path, databases: added + relocated.map(\.after),
                    relocated: relocated.map(\.after.name),
                    newSource: relocated.filter { $0.before.path != $0.after.path }.map(\.after.name),
                    makeStateDirectory: new.stateDirectory != current.stateDirectory)))
        return takeActions()
    }

    /// A reload's new stores were listed: applies the configuration.
    ///
    /// Backups in flight finish under the configuration they started with.
    mutating func reloadStoresRead(_ listing: ReloadListing, history: Daemon.History, now: ClockReading) -> [Action] {
        reloadInProgress = false
        guard phase == .starting || phase == .running else {
            finishReload(now: now)
            return takeActions()
        }
        let new = listing.configuration
        let changes = scheduler.update(
            jobs: new.scheduledJobs, maxConcurrent: new.maxConcurrentBackups, lastRuns: history.lastRuns,
            relocated: Set(listing.relocated), now: now)
        _ = dumpScheduler.update(
            jobs: new.scheduledDumpJobs, maxConcurrent: new.maxConcurrentBackups, lastRuns: history.lastDumps,
            relocated: Set(listing.relocated), now: now)
        let summary = ReloadSummary.describe(from: configuration, to: new, changes: changes)
        configuration = new
        // Stores may have been added or moved: each database's next run cleans up again.
        cleanStores.removeAll()
        reloadFailed = false
        forgetOldPlace(of: listing.relocated)
        adopt(history)
        rescheduleVerification(now: now)
        stateWrites.markChanged(urgent: true)
        log(.reloadSucceeded, "reloaded \(listing.path): \(summary)", metadata: [LogKey.path: "\(listing.path)"])
        runDueWork(now: now)
        emit(.notify(.reloaded(status: statusLine(now: now))))
        finishReload(now: now)
        return takeActions()
    }

    /// Starts the reload asked for meanwhile, if any; else tells the callers waiting that
    /// reloading is over.
    mutating func finishReload(now: ClockReading) {
        if reloadQueued, phase == .starting || phase == .running {
            reloadQueued = false
            return beginReload(now: now)
        }
        emit(.releaseReloadWaiters)
    }
}
