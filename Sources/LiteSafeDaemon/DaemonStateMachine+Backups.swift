import Foundation
import LiteSafeCore
import Logging

extension DaemonStateMachine {
    /// The schedule timer fired: starts the backups and the verification that are due, writes
    /// the state if it is time, and arms the timer for the next decision.
    mutating func timerFired(now: ClockReading) -> [Action] {
        runDueWork(now: now)
        return takeActions()
    }

    /// Starts what the schedulers say is due (backups and the scheduled verification), arms the
    /// timer for their next decision and writes the state if it changed.
    mutating func runDueWork(now: ClockReading) {
        guard phase == .starting || phase == .running else { return }
        enforceDeadlines(now: now)
        let decision = scheduler.decide(now: now)
        if let step = decision.clockStep {
            // Next-run times moved with the wall clock, and a state written before a forward
            // step would look stale to `litesafe status`: write it again now.
            stateWrites.markChanged(urgent: true)
            let size = formatDuration(step < .zero ? .zero - step : step)
            log(
                .clockStepped, level: .notice,
                "the wall clock was set \(step < .zero ? "back" : "forward") by about \(size); cron schedules follow it"
            )
        }
        for run in decision.runs { startBackup(run, now: now) }
        if !decision.runs.isEmpty { stateWrites.markChanged() }
        let dumpSleep = runDueDumps(now: now)
        let verifySleep = runDueVerification(now: now)
        let stateSleep = persistStateIfNeeded(now: now)
        let sleep = [decision.sleep, dumpSleep, verifySleep, stateSleep].compactMap { $0 }.min() ?? decision.sleep
        emit(.armScheduleTimer(after: sleep))
        publishStatus(now: now)
    }

    /// Starts `run` under the configuration as it is now.
    mutating func startBackup(_ run: Scheduler.Run, now: ClockReading) {
        guard let database = configuration.database(named: run.name) else {
            // The scheduler's jobs are the configuration's databases; this would be a bug.
            log(level: .error, "the scheduler started '\(run.name)', which is not configured; skipping it")
            _ = scheduler.finished(run.name, success: false, now: now)
            return
        }
        if inFlightDumps[run.name] != nil {
            // The dump holds the store's lock: the backup follows it.
            waitingBackups[run.name] = run
            log(
                level: .debug, "the backup of '\(run.name)' waits for its dump to end",
                metadata: [LogKey.database: "\(run.name)"])
            return
        }
        let id = nextWorkID()
        inFlight[run.name] = InFlightBackup(started: now, id: id, reason: run.reason)
        let metadata: Logger.Metadata = [LogKey.database: "\(run.name)"]
        switch run.reason {
        case .storeRetry:
            let named = Self.naming(storesBehind(run.name), otherwise: "the stores")
            log(
                .backupRetry,
                "giving \(named) of '\(run.name)' the backups missed there (store retry \(run.attempt))",
                metadata: metadata)
        case .retry:
            log(.backupRetry, "retrying the backup of '\(run.name)' (attempt \(run.attempt))", metadata: metadata)
        case .catchUp:
            log(level: .debug, "backing up '\(run.name)' now: it is overdue or has no backup yet", metadata: metadata)
        case .scheduled:
            break  // The engine logs the start.
        }
        emit(
            .startBackup(
                BackupStart(
                    id: id, run: run, database: database, configuration: configuration,
                    removesLeftovers: !cleanStores.contains(run.name))))
    }

    /// A backup ended: records and logs how, and decides again (a slot is free); while stopping,
    /// the last one to end completes the stop. A report of a backup not in flight is ignored.
    mutating func backupFinished(
        _ name: String, id: WorkID, result: Result<BackupSummary, any Error>, now: ClockReading
    ) -> [Action] {
        guard let backup = inFlight[name], backup.id == id else { return [] }
        inFlight[name] = nil
        let metadata: Logger.Metadata = [LogKey.database: "\(name)"]
        if endedWhileStopping("the backup of '\(name)'", result: result, metadata: metadata, now: now) {
            return takeActions()
        }
        stateWrites.markChanged()
        if backup.reason == .storeRetry {
            storeRetryFinished(name, result: result, started: backup.started, now: now)
        } else {
            recordBackup(name, result: result, started: backup.started, now: now)
        }
        if let run = waitingDumps.removeValue(forKey: name) { startDump(run, now: now) }
        runDueWork(now: now)
        releaseMemoryWhenIdle()
        return takeActions()
    }

    /// Records a finished backup in the state, the status line and the scheduler, and logs it.
    private mutating func recordBackup(
        _ name: String, result: Result<BackupSummary, any Error>, started: ClockReading, now: ClockReading
    ) {
        let metadata: Logger.Metadata = [LogKey.database: "\(name)"]
        switch result {
        case .success(let summary):
            last = StatusLine.LastBackup(
                name: name, succeeded: true, date: started.wall, storedSize: summary.storedSize)
            let duration = summary.duration ?? (now.monotonic - started.monotonic)
            state.update(name) { entry in
                entry.lastSuccess = DaemonState.Backup(
                    time: started.wall, file: summary.file, sizeBytes: summary.storedSize,
                    durationSeconds: duration.seconds)
                entry.consecutiveFailures = 0
                if let retained = summary.retained { entry.retained = retained }
                if summary.stores.isEmpty {
                    entry.stores = nil
                } else {
                    entry.recordStores(summary.stores, failed: summary.failedStores, at: started.wall)
                }
            }
            if summary.failedStores.isEmpty { cleanStores.insert(name) } else { cleanStores.remove(name) }
            logOutcome(
                scheduler.finished(name, success: true, missedStores: !summary.failedStores.isEmpty, now: now),
                of: name, stores: summary.failedStores.keys.sorted(), now: now)
        case .failure(let error):
            let text = Daemon.errorText(error)
            last = StatusLine.LastBackup(name: name, succeeded: false, date: started.wall)
            state.update(name) { entry in
                entry.lastFailure = DaemonState.Failure(time: now.wall, reason: text)
                entry.consecutiveFailures += 1
                entry.failuresTotal += 1
            }
            log(
                .backupFailed, level: .error, "backup of '\(name)' failed: \(text)",
                metadata: metadata.merging([LogKey.error: "\(text)"]) { $1 })
            cleanStores.remove(name)
            logOutcome(scheduler.finished(name, success: false, now: now), of: name, now: now)
        }
    }

    /// A store retry ended: records which stores are up to date again. It took no backup, so
    /// the status line and the database's last backup stay; a failure of the whole retry (no
    /// store could be opened) counts as every store still behind, never as a failed backup.
    private mutating func storeRetryFinished(
        _ name: String, result: Result<BackupSummary, any Error>, started: ClockReading, now: ClockReading
    ) {
        let metadata: Logger.Metadata = [LogKey.database: "\(name)"]
        var behind: [String] = []
        var failed = false
        switch result {
        case .success(let summary):
            behind = summary.failedStores.keys.sorted()
            state.update(name) { entry in
                entry.recordStoreRetry(
                    failed: summary.failedStores, at: now.wall, latestBackup: entry.lastSuccess?.time)
            }
            if behind.isEmpty {
                log(
                    .backupRetry, "every store of '\(name)' holds its backups again", metadata: metadata)
            }
        case .failure(let error):
            failed = true
            let text = Daemon.errorText(error)
            behind = storesBehind(name)
            log(
                .storeFailed, level: .error, "the store retry of '\(name)' failed: \(text)",
                metadata: metadata.merging([LogKey.error: "\(text)"]) { $1 })
        }
        if behind.isEmpty && !failed { cleanStores.insert(name) } else { cleanStores.remove(name) }
        logOutcome(
            scheduler.finished(name, success: true, missedStores: !behind.isEmpty || failed, now: now),
            of: name, stores: behind, now: now)
    }

    /// Work (`what`: "the backup of 'app'") that ended while the daemon stops: logs how it
    /// stopped and, when it was the last, completes the stop. False while the daemon runs on.
    mutating func endedWhileStopping(
        _ what: String, result: Result<BackupSummary, any Error>, metadata: Logger.Metadata, now: ClockReading
    ) -> Bool {
        guard phase == .stopping || phase == .stopped else { return false }
        if case .failure(let error) = result {
            let text = Daemon.errorText(error)
            log(
                .backupCancelled, level: .notice, "\(what) stopped: \(text)",
                metadata: metadata.merging([LogKey.error: "\(text)"]) { $1 })
        }
        if phase == .stopping && isIdle { finishStopping(exitCode: 0, now: now) }
        return true
    }

    /// The stores of `name` that missed its latest backup, as the state records them.
    func storesBehind(_ name: String) -> [String] {
        state.databases.first { $0.name == name }?.stores?.filter { $0.consecutiveFailures > 0 }.map(\.name) ?? []
    }

    /// `store 'offsite'`, `stores 'a', 'b'`, or `otherwise` when there are none.
    static func naming(_ stores: [String], otherwise: String) -> String {
        stores.isEmpty
            ? otherwise : "store\(stores.count == 1 ? "" : "s") \(stores.map { "'\($0)'" }.joined(separator: ", "))"
    }

    /// Once nothing runs, the memory finished backups freed goes back to the system.
    mutating func releaseMemoryWhenIdle() {
        guard isIdle else { return }
        emit(.releaseMemory)
    }

    /// Logs what follows a finished backup.
    /// `stores`: the stores still behind, for a backup that missed some.
    mutating func logOutcome(
        _ outcome: Scheduler.FinishOutcome?, of name: String, stores: [String] = [], now: ClockReading
    ) {
        let metadata: Logger.Metadata = [LogKey.database: "\(name)"]
        let named = Self.naming(stores, otherwise: "its stores")
        switch outcome {
        case .storesRetrying(let attempt, let date, let delay):
            log(
                .backupRetry, level: .notice,
                "\(named) of '\(name)' will be given the backups missed there at \(describeTime(date, now: now)) (in \(formatDuration(delay)), store retry \(attempt))",
                metadata: metadata)
        case .storesFailedUntilNextRun(let failures, let next):
            log(
                .backupRetry, level: .notice,
                "\(named) of '\(name)' missed \(failures) \(failures == 1 ? "time" : "times") in a row; the next scheduled backup (\(next.map { describeTime($0, now: now) } ?? "none")) tries again",
                metadata: metadata)
        case .succeeded(let next):
            log(
                level: .debug,
                "next backup of '\(name)': \(next.map { describeTime($0, now: now) } ?? "none scheduled")",
                metadata: metadata)
        case .retrying(let attempt, let date, let delay):
            log(
                .backupRetry, level: .notice,
                "the backup of '\(name)' will be retried at \(describeTime(date, now: now)) (in \(formatDuration(delay)), attempt \(attempt))",
                metadata: metadata)
        case .failedUntilNextRun(let failures, let next):
            log(
                .backupRetry, level: .notice,
                "the backup of '\(name)' failed \(failures) \(failures == 1 ? "time" : "times") in a row; the next scheduled backup (\(next.map { describeTime($0, now: now) } ?? "none")) is the next attempt",
                metadata: metadata)
        case .unscheduled:
            log(
                "'\(name)' was removed from the configuration while it was backed up; no more backups are scheduled and its backups are kept",
                metadata: metadata)
        case nil:
            break
        }
    }

    // MARK: The watchdog.

    /// The watchdog timer fired: pings unless a backup has run past its deadline.
    ///
    /// A backup stuck in the kernel would otherwise go unnoticed forever behind a blind timer:
    /// withholding the ping lets systemd restart the service (`WatchdogSec=`), and the restart's
    /// start-up removes what the stuck backup left.
    mutating func watchdogFired(now: ClockReading) -> [Action] {
        guard phase != .stopped, phase != .created else { return [] }
        if !enforceDeadlines(now: now) { emit(.notify(.watchdog)) }
        return takeActions()
    }

    /// Cancels the backups that have run past `DaemonOptions.backupDeadline` (logging each once);
    /// returns whether any such backup is still running.
    @discardableResult
    mutating func enforceDeadlines(now: ClockReading) -> Bool {
        var overdue = false
        for (name, dump) in inFlightDumps where now.monotonic - dump.started.monotonic >= options.backupDeadline {
            overdue = true
            guard !dump.isOverdue else { continue }
            inFlightDumps[name]?.isOverdue = true
            emit(.cancel(dump.id))
            let deadline = formatDuration(options.backupDeadline)
            log(
                .backupFailed, level: .error,
                "the dump of '\(name)' has run longer than its \(deadline) deadline; cancelling it, and holding back the watchdog until it ends so that systemd restarts the service if it is stuck",
                metadata: [
                    LogKey.database: "\(name)", LogKey.kind: "dump", LogKey.error: "ran longer than \(deadline)",
                ])
        }
        for (name, backup) in inFlight where now.monotonic - backup.started.monotonic >= options.backupDeadline {
            overdue = true
            guard !backup.isOverdue else { continue }
            inFlight[name]?.isOverdue = true
            emit(.cancel(backup.id))
            let deadline = formatDuration(options.backupDeadline)
            log(
                .backupFailed, level: .error,
                "the backup of '\(name)' has run longer than its \(deadline) deadline; cancelling it, and holding back the watchdog until it ends so that systemd restarts the service if it is stuck",
                metadata: [LogKey.database: "\(name)", LogKey.error: "ran longer than \(deadline)"])
        }
        return overdue
    }
}
