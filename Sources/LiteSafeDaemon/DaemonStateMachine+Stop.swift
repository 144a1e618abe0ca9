import Foundation
import LiteSafeCore
import Logging

extension DaemonStateMachine {
    /// A stop was asked for (SIGTERM, SIGINT, or `stop(reason:)`): stops scheduling and cancels
    /// the backups in flight; the daemon has stopped once they end.
    ///
    /// A cancelled backup stops at its next safe point, removes its staging and temporary files
    /// and publishes nothing. One that has not ended after `stopGracePeriod` is abandoned (exit
    /// status 1; whatever it leaves, the next run removes) so the daemon still exits well within
    /// systemd's `TimeoutStopSec=`. A second stop while waiting abandons them at once.
    mutating func stopRequested(reason: String, now: ClockReading) -> [Action] {
        switch phase {
        case .stopped:
            return []
        case .stopping:
            log(
                level: .warning,
                "\(reason) again: exiting without waiting for the backup of \(quotedNames(inFlight.keys))")
            finishStopping(exitCode: 1, now: now)
            return takeActions()
        case .created, .loading, .starting, .running:
            break
        }
        phase = .stopping
        emit(.notify(.stopping))
        emit(.cancelScheduleTimer)
        let names = inFlight.keys
        let cancelling = names.isEmpty ? "" : "; cancelling the backup of \(quotedNames(names))"
        log(.daemonStopping, "stopping (\(reason))\(cancelling)")
        for backup in inFlight.values.sorted(by: { $0.id.value < $1.id.value }) { emit(.cancel(backup.id)) }
        if !inFlightDumps.isEmpty { log("cancelling the dump of \(quotedNames(inFlightDumps.keys))") }
        for dump in inFlightDumps.values.sorted(by: { $0.id.value < $1.id.value }) { emit(.cancel(dump.id)) }
        waitingDumps = [:]
        waitingBackups = [:]
        if let verification {
            log("cancelling the scheduled verification")
            emit(.cancel(verification.id))
        }
        publishStatus(now: now)
        guard !isIdle else {
            finishStopping(exitCode: 0, now: now)
            return takeActions()
        }
        emit(.notify(.extendTimeout(options.stopGracePeriod + .seconds(5))))
        emit(.armGraceTimer(after: options.stopGracePeriod))
        return takeActions()
    }

    /// The grace period after a stop ran out: exits without what still runs.
    mutating func graceExpired(now: ClockReading) -> [Action] {
        guard phase == .stopping else { return [] }
        for name in inFlight.keys.sorted() {
            log(
                .backupFailed, level: .error,
                "the backup of '\(name)' did not stop within \(formatDuration(options.stopGracePeriod)) of being cancelled; exiting without it (the next run removes what it leaves)",
                metadata: [LogKey.database: "\(name)", LogKey.error: "did not stop when cancelled"])
        }
        for name in inFlightDumps.keys.sorted() {
            log(
                .backupFailed, level: .error,
                "the dump of '\(name)' did not stop within \(formatDuration(options.stopGracePeriod)) of being cancelled; exiting without it (the next run removes what it leaves)",
                metadata: [
                    LogKey.database: "\(name)", LogKey.kind: "dump", LogKey.error: "did not stop when cancelled",
                ])
        }
        if verification != nil {
            log(
                level: .warning,
                "the scheduled verification did not stop within \(formatDuration(options.stopGracePeriod)) of being cancelled; exiting without it (the next start removes its folder)"
            )
        }
        finishStopping(exitCode: 1, now: now)
        return takeActions()
    }

    mutating func finishStopping(exitCode: Int32, now: ClockReading) {
        phase = .stopped
        if stateWrites.hasWritten {
            // A daemon that started says it stopped, so `litesafe status` need not guess.
            state.stopped = now.wall
            persistState(now: now)
        }
        emit(.stopTimersAndSignals)
        log(.daemonStopped, "stopped")
        self.exitCode = exitCode
        emit(.exit(code: exitCode))
        emit(.releaseReloadWaiters)
    }
}
