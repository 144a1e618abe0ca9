import Foundation
import LiteSafeCore
import Logging

extension Daemon {
    /// Loads the configuration file again; applies it if valid, else keeps the running one.
    ///
    /// systemd hears `RELOADING=1` first and `READY=1` after, either way (sd_notify(3)); a
    /// refused file shows in the status line until a reload succeeds. Backups in flight finish
    /// under the configuration they started with.
    func reloadOnQueue() {
        guard phase == .starting || phase == .running else { return }
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
            return
        }
        for warning in loaded.warnings {
            logger.warning("\(warning)", metadata: [LogKey.path: "\(path)"])
        }
        let new = loaded.configuration
        if new.stateDirectory != configuration.stateDirectory { makeStateDirectory(of: new) }
        let added = new.databases.filter { configuration.database(named: $0.name) == nil }
        // A database whose backups now go elsewhere is scheduled from its history there; one
        // that now backs up another file has no backup of it yet, wherever they go.
        let relocated = new.movedDatabases(since: configuration)
        var history = readHistory(of: added + relocated.map(\.after))
        for (before, after) in relocated where before.path != after.path { history.lastRuns[after.name] = nil }
        let now = clock.now()
        let changes = scheduler.update(
            jobs: new.scheduledJobs, maxConcurrent: new.maxConcurrentBackups, lastRuns: history.lastRuns,
            relocated: Set(relocated.map(\.after.name)), now: now)
        let summary = ReloadSummary.describe(from: configuration, to: new, changes: changes)
        configuration = new
        reloadFailed = false
        forgetOldPlace(of: relocated.map(\.after.name))
        adopt(history)
        rescheduleVerification(now: now)
        stateChanged = true
        stateWriteNow = true
        logger.log(.reloadSucceeded, "reloaded \(path): \(summary)", metadata: [LogKey.path: "\(path)"])
        runDueBackups()
        notify("that the reload finished") { try $0.ready(status: currentStatus()) }
    }
}
