import Foundation
import LiteSafeCore
import Logging

extension Daemon {
    /// Loads the configuration file again; applies it if valid, else keeps the running one.
    ///
    /// systemd hears `RELOADING=1` first and `READY=1` after, either way (sd_notify(3)); a
    /// refused file shows in the status line until a reload succeeds. Backups in flight finish
    /// under the configuration they started with. The stores of added and moved databases are
    /// listed on a thread of their own (`applyReload` finishes on the queue); a reload asked for
    /// meanwhile, or during start-up, follows once it is done.
    ///
    /// - Parameter done: Called on the queue once this reload (or the one it joined) is over.
    func reloadOnQueue(then done: (@Sendable () -> Void)? = nil) {
        if let done { reloadWaiters.append(done) }
        if phase == .loading || reloadInProgress {
            reloadRequested = true
            return
        }
        guard phase == .starting || phase == .running else { return finishReload() }
        notify("that a reload began") { try $0.reloading() }
        let path = configuration.sourceFile
        let loaded: LoadedConfiguration
        do {
            loaded = try loadConfiguration(path)
        } catch {
            reloadFailed = true
            let reasons: String
            if let error = error as? ConfigurationError {
                let errors = error.errors.map(\.description)
                reasons = "\(errors.count) \(errors.count == 1 ? "error" : "errors"): " + errors.joined(separator: "; ")
            } else {
                reasons = "\(error)"
            }
            logger.log(
                .reloadFailed, level: .error,
                "reload of \(path) refused, still running the previous configuration; \(reasons)",
                metadata: [LogKey.path: "\(path)", LogKey.error: "\(reasons)"])
            publishStatus()
            notify("that the reload finished") { try $0.ready(status: currentStatus()) }
            return finishReload()
        }
        for warning in loaded.warnings {
            logger.warning("\(warning)", metadata: [LogKey.path: "\(path)"])
        }
        let new = loaded.configuration
        let current = configuration
        let added = new.databases.filter { current.database(named: $0.name) == nil }
        // A database whose backups now go elsewhere is scheduled from its history there; one
        // that now backs up another file has no backup of it yet, wherever they go.
        let relocated = new.movedDatabases(since: current)
        let logger = logger
        reloadInProgress = true
        let thread = Thread { [self] in
            if new.stateDirectory != current.stateDirectory { Self.makeStateDirectory(of: new, logger: logger) }
            var history = Self.readHistory(of: added + relocated.map(\.after), stores: stores, logger: logger)
            for (before, after) in relocated where before.path != after.path { history.lastRuns[after.name] = nil }
            let found = history
            queue.async {
                self.applyReload(new, from: path, relocated: relocated.map(\.after.name), history: found)
            }
        }
        thread.name = "litesafe reload"
        thread.start()
    }

    /// Applies a loaded configuration once its new stores were listed.
    func applyReload(_ new: Configuration, from path: String, relocated: [String], history: History) {
        reloadInProgress = false
        guard phase == .starting || phase == .running else { return finishReload() }
        let now = clock.now()
        let changes = scheduler.update(
            jobs: new.scheduledJobs, maxConcurrent: new.maxConcurrentBackups, lastRuns: history.lastRuns,
            relocated: Set(relocated), now: now)
        let summary = ReloadSummary.describe(from: configuration, to: new, changes: changes)
        configuration = new
        reloadFailed = false
        forgetOldPlace(of: relocated)
        adopt(history)
        rescheduleVerification(now: now)
        stateWrites.markChanged(urgent: true)
        logger.log(.reloadSucceeded, "reloaded \(path): \(summary)", metadata: [LogKey.path: "\(path)"])
        runDueBackups()
        notify("that the reload finished") { try $0.ready(status: currentStatus()) }
        finishReload()
    }

    /// Starts the reload asked for meanwhile, if any; else tells the callers waiting that
    /// reloading is over.
    func finishReload() {
        if reloadRequested, phase == .starting || phase == .running {
            reloadRequested = false
            return reloadOnQueue()
        }
        releaseReloadWaiters()
    }

    func releaseReloadWaiters() {
        let waiters = reloadWaiters
        reloadWaiters = []
        for waiter in waiters { waiter() }
    }
}
