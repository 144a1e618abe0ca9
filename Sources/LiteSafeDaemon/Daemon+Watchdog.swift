import Dispatch
import LiteSafeCore
import Logging

extension Daemon {
    /// Pings every half `watchdogInterval` (sd_watchdog_enabled(3) advises half), from a timer on
    /// the daemon's own queue: a ping proves the queue that schedules backups is responsive.
    func startWatchdogTimer() {
        guard let interval = options.watchdogInterval, interval > .zero else { return }
        let half = DispatchTimeInterval(interval / 2)
        let timer = makeTimer { [weak self] in _ = self?.checkWatchdogOnQueue() }
        timer.schedule(deadline: .now() + half, repeating: half)
        watchdogTimer = timer
    }

    /// Pings the watchdog unless a backup has run past its deadline; returns whether it pinged.
    ///
    /// A backup stuck in the kernel would otherwise go unnoticed forever behind a blind timer:
    /// withholding the ping lets systemd restart the service (`WatchdogSec=`), and the restart's
    /// start-up removes what the stuck backup left.
    func checkWatchdogOnQueue() -> Bool {
        guard phase != .stopped, phase != .created else { return false }
        if enforceDeadlines(now: clock.now()) { return false }
        notify("that the daemon is alive") { try $0.watchdog() }
        return true
    }

    /// Cancels the backups that have run past `DaemonOptions.backupDeadline` (logging each once);
    /// returns whether any such backup is still running.
    @discardableResult
    func enforceDeadlines(now: ClockReading) -> Bool {
        var overdue = false
        for (name, backup) in inFlight where now.monotonic - backup.started.monotonic >= options.backupDeadline {
            overdue = true
            guard !backup.isOverdue else { continue }
            inFlight[name]?.isOverdue = true
            backup.cancellation.cancel()
            let deadline = formatDuration(options.backupDeadline)
            logger.log(
                .backupFailed, level: .error,
                "the backup of '\(name)' has run longer than its \(deadline) deadline; cancelling it, and holding back the watchdog until it ends so that systemd restarts the service if it is stuck",
                metadata: [LogKey.database: "\(name)", LogKey.error: "ran longer than \(deadline)"])
        }
        return overdue
    }
}
