import Foundation
import LiteSafeCore
import Logging

extension DaemonStateMachine {
    /// Asks the dump schedule what is due, starts it, and returns how long until it needs
    /// asking again (nil when no database has a `dump_schedule`).
    ///
    /// Its clock steps are the backup scheduler's too, and are logged by that one.
    mutating func runDueDumps(now: ClockReading) -> Duration? {
        let decision = dumpScheduler.decide(now: now)
        for run in decision.runs { startDump(run, now: now) }
        if !decision.runs.isEmpty { stateWrites.markChanged() }
        return dumpScheduler.jobs.isEmpty ? nil : decision.sleep
    }

    /// Starts the stored dump `run` asks for, under the configuration as it is now; while the
    /// database's backup runs (it holds the store's lock) the dump waits for it.
    mutating func startDump(_ run: Scheduler.Run, now: ClockReading) {
        let metadata: Logger.Metadata = [LogKey.database: "\(run.name)", LogKey.kind: "dump"]
        guard let database = configuration.database(named: run.name), database.dumpSchedule != nil else {
            // Removed (or its dump_schedule dropped) by a reload while it waited.
            _ = dumpScheduler.finished(run.name, success: true, now: now)
            return
        }
        if inFlight[run.name] != nil {
            waitingDumps[run.name] = run
            log(level: .debug, "the dump of '\(run.name)' waits for its backup to end", metadata: metadata)
            return
        }
        let id = nextWorkID()
        inFlightDumps[run.name] = InFlightBackup(started: now, id: id)
        if run.reason == .retry {
            log(.backupRetry, "retrying the dump of '\(run.name)' (attempt \(run.attempt))", metadata: metadata)
        }
        emit(
            .startBackup(
                BackupStart(
                    id: id, run: run, database: database, configuration: configuration, kind: .dump,
                    removesLeftovers: !cleanStores.contains(run.name))))
    }

    /// A stored dump ended: records and logs how, starts a backup that waited for it, and
    /// decides again; while stopping, the last work to end completes the stop. A report of a
    /// dump not in flight is ignored.
    mutating func dumpFinished(
        _ name: String, id: WorkID, result: Result<BackupSummary, any Error>, now: ClockReading
    ) -> [Action] {
        guard let dump = inFlightDumps[name], dump.id == id else { return [] }
        inFlightDumps[name] = nil
        let metadata: Logger.Metadata = [LogKey.database: "\(name)", LogKey.kind: "dump"]
        if endedWhileStopping("the dump of '\(name)'", result: result, metadata: metadata, now: now) {
            return takeActions()
        }
        stateWrites.markChanged()
        switch result {
        case .success(let summary):
            let duration = summary.duration ?? (now.monotonic - dump.started.monotonic)
            state.update(name) { entry in
                entry.lastDump = DaemonState.Backup(
                    time: dump.started.wall, file: summary.file, sizeBytes: summary.storedSize,
                    durationSeconds: duration.seconds)
            }
            _ = dumpScheduler.finished(name, success: true, now: now)
        case .failure(let error):
            let text = Daemon.errorText(error)
            state.update(name) { $0.lastDumpFailure = DaemonState.Failure(time: now.wall, reason: text) }
            cleanStores.remove(name)
            log(
                .backupFailed, level: .error, "dump of '\(name)' failed: \(text)",
                metadata: metadata.merging([LogKey.error: "\(text)"]) { $1 })
            _ = dumpScheduler.finished(name, success: false, now: now)
        }
        if let run = waitingBackups.removeValue(forKey: name) { startBackup(run, now: now) }
        runDueWork(now: now)
        releaseMemoryWhenIdle()
        return takeActions()
    }
}
