import Dispatch
import LiteSafeCore
import Logging

extension Daemon {
    /// Stops scheduling and cancels the backups in flight; the daemon has stopped once they end.
    ///
    /// A cancelled backup stops at its next safe point, removes its staging and temporary files
    /// and publishes nothing. One that has not ended after `stopGracePeriod` is abandoned (exit
    /// status 1; whatever it leaves, the next run removes) so the daemon still exits well within
    /// systemd's `TimeoutStopSec=`. A second stop signal while waiting abandons them at once.
    func stopOnQueue(reason: String) {
        switch phase {
        case .stopped:
            return
        case .stopping:
            logger.warning(
                "\(reason) again: exiting without waiting for the backup of \(quotedNames(inFlight.keys))")
            finishStopping(exitCode: 1)
            return
        case .created, .loading, .starting, .running:
            break
        }
        phase = .stopping
        notify("that the daemon is stopping") { try $0.stopping() }
        scheduleTimer?.cancel()
        let names = inFlight.keys
        let cancelling = names.isEmpty ? "" : "; cancelling the backup of \(quotedNames(names))"
        logger.log(.daemonStopping, "stopping (\(reason))\(cancelling)")
        for backup in inFlight.values { backup.cancellation.cancel() }
        if let verification {
            logger.info("cancelling the scheduled verification")
            verification.cancellation.cancel()
        }
        publishStatus()
        guard !inFlight.isEmpty || verification != nil else {
            finishStopping(exitCode: 0)
            return
        }
        notify("how long stopping may take") { try $0.extendTimeout(options.stopGracePeriod + .seconds(5)) }
        let grace = makeTimer { [weak self] in self?.abandonBackupsInFlight() }
        grace.schedule(deadline: .now() + DispatchTimeInterval(options.stopGracePeriod))
        graceTimer = grace
    }

    func abandonBackupsInFlight() {
        guard phase == .stopping else { return }
        for name in inFlight.keys.sorted() {
            logger.log(
                .backupFailed, level: .error,
                "the backup of '\(name)' did not stop within \(formatDuration(options.stopGracePeriod)) of being cancelled; exiting without it (the next run removes what it leaves)",
                metadata: [LogKey.database: "\(name)", LogKey.error: "did not stop when cancelled"])
        }
        if verification != nil {
            logger.warning(
                "the scheduled verification did not stop within \(formatDuration(options.stopGracePeriod)) of being cancelled; exiting without it (the next start removes its folder)"
            )
        }
        finishStopping(exitCode: 1)
    }

    func finishStopping(exitCode: Int32) {
        phase = .stopped
        if stateWrites.hasWritten {
            // A daemon that started says it stopped, so `litesafe status` need not guess.
            let now = clock.now()
            state.stopped = now.wall
            persistState(now: now)
        }
        for source in [scheduleTimer, watchdogTimer, graceTimer] { source?.cancel() }
        for source in signalSources { source.cancel() }
        signalSources = []
        logger.log(.daemonStopped, "stopped")
        self.exitCode = exitCode
        stopped.signal()
        startupSettled.signal()
        releaseReloadWaiters()
    }

    func quotedNames(_ names: some Collection<String>) -> String {
        names.sorted().map { "'\($0)'" }.joined(separator: ", ")
    }
}
