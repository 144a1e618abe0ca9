import Foundation
import LiteSafeCore
import Logging

extension Daemon {
    /// Starts `run` on a thread of its own, under the configuration as it is now; the thread
    /// reports back on the daemon's queue.
    func startBackup(_ run: Scheduler.Run, now: ClockReading) {
        guard let database = configuration.database(named: run.name) else {
            // The scheduler's jobs are the configuration's databases; this would be a bug.
            logger.error("the scheduler started '\(run.name)', which is not configured; skipping it")
            _ = scheduler.finished(run.name, success: false, now: now)
            return
        }
        let job = configuration.backupJob(for: database, stores: stores)
        let cancellation = Cancellation()
        inFlight[run.name] = InFlightBackup(started: now, cancellation: cancellation)
        let metadata: Logger.Metadata = [LogKey.database: "\(run.name)"]
        switch run.reason {
        case .retry:
            logger.log(
                .backupRetry, "retrying the backup of '\(run.name)' (attempt \(run.attempt))", metadata: metadata)
        case .catchUp:
            logger.debug("backing up '\(run.name)' now: it is overdue or has no backup yet", metadata: metadata)
        case .scheduled:
            break  // The engine logs the start.
        }
        let runner = runner
        let logger = logger
        let thread = Thread { [self] in
            let result = Result { try runner.backUp(job, cancellation: cancellation, logger: logger) }
            queue.async { self.backupEnded(run.name, cancellation: cancellation, result: result) }
        }
        thread.name = "litesafe backup \(run.name)"
        thread.start()
    }

    /// Records how a backup ended, logs it, and decides again (a slot is free); while stopping,
    /// the last one to end completes the stop.
    func backupEnded(_ name: String, cancellation: Cancellation, result: Result<BackupSummary, any Error>) {
        guard let backup = inFlight[name], backup.cancellation === cancellation else { return }
        inFlight[name] = nil
        let metadata: Logger.Metadata = [LogKey.database: "\(name)"]
        if phase == .stopping || phase == .stopped {
            if case .failure(let error) = result {
                logger.log(
                    .backupCancelled, level: .notice, "the backup of '\(name)' stopped: \(error)",
                    metadata: metadata.merging([LogKey.error: "\(error)"]) { $1 })
            }
            if phase == .stopping && inFlight.isEmpty && verification == nil { finishStopping(exitCode: 0) }
            return
        }
        let now = clock.now()
        stateWrites.markChanged()
        switch result {
        case .success(let summary):
            last = StatusLine.LastBackup(
                name: name, succeeded: true, date: backup.started.wall, storedSize: summary.storedSize)
            let duration = summary.duration ?? (now.monotonic - backup.started.monotonic)
            state.update(name) { entry in
                entry.lastSuccess = DaemonState.Backup(
                    time: backup.started.wall, file: summary.file, sizeBytes: summary.storedSize,
                    durationSeconds: duration.seconds)
                entry.consecutiveFailures = 0
                if let retained = summary.retained { entry.retained = retained }
            }
            log(scheduler.finished(name, success: true, now: now), of: name)
        case .failure(let error):
            last = StatusLine.LastBackup(name: name, succeeded: false, date: backup.started.wall)
            state.update(name) { entry in
                entry.lastFailure = DaemonState.Failure(time: now.wall, reason: "\(error)")
                entry.consecutiveFailures += 1
                entry.failuresTotal += 1
            }
            logger.log(
                .backupFailed, level: .error, "backup of '\(name)' failed: \(error)",
                metadata: metadata.merging([LogKey.error: "\(error)"]) { $1 })
            log(scheduler.finished(name, success: false, now: now), of: name)
        }
        runDueBackups()
        releaseMemoryWhenIdle()
    }

    /// Once nothing runs, hands the memory finished backups freed back to the system.
    func releaseMemoryWhenIdle() {
        guard inFlight.isEmpty, verification == nil else { return }
        ProcessMemory.releaseFreedMemory()
    }

    /// Logs what follows a finished backup.
    func log(_ outcome: Scheduler.FinishOutcome?, of name: String) {
        let metadata: Logger.Metadata = [LogKey.database: "\(name)"]
        switch outcome {
        case .succeeded(let next):
            logger.debug("next backup of '\(name)': \(next.map(describeTime) ?? "none scheduled")", metadata: metadata)
        case .retrying(let attempt, let date, let delay):
            logger.log(
                .backupRetry, level: .notice,
                "the backup of '\(name)' will be retried at \(describeTime(date)) (in \(formatDuration(delay)), attempt \(attempt))",
                metadata: metadata)
        case .failedUntilNextRun(let failures, let next):
            logger.log(
                .backupRetry, level: .notice,
                "the backup of '\(name)' failed \(failures) \(failures == 1 ? "time" : "times") in a row; the next scheduled backup (\(next.map(describeTime) ?? "none")) is the next attempt",
                metadata: metadata)
        case .unscheduled:
            logger.info(
                "'\(name)' was removed from the configuration while it was backed up; no more backups are scheduled and its backups are kept",
                metadata: metadata)
        case nil:
            break
        }
    }
}
