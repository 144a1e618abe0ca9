import Foundation
import LiteSafeCore
import Logging

extension Daemon {
    /// Starts the state from the previous run's file (keeping failures, counters and
    /// verifications across restarts) and from what the store holds.
    func loadState(_ findings: StartupFindings, now: ClockReading) {
        let previous = findings.previousState
        state = DaemonState(
            pid: ProcessInfo.processInfo.processIdentifier, started: now.wall, updated: now.wall,
            configFile: configuration.sourceFile, databases: previous?.databases ?? [],
            verification: previous?.verification)
        for index in state.databases.indices { state.databases[index].running = false }
        adopt(findings.history)
        stateWrites.markChanged()
    }

    /// Takes each database's newest backup and count from the store, where they are newer than
    /// what the state says (a `litesafe backup` run by hand, or a state file lost).
    /// Drops what the state says about backups in a database's old place (its last success,
    /// its verifications), so that `status` and the metrics describe the configured folder;
    /// `adopt` then records the newest backup there, if any. Its failures stay its own.
    func forgetOldPlace(of names: [String]) {
        for name in names {
            state.update(name) { entry in
                entry.lastSuccess = nil
                entry.lastVerification = nil
                entry.lastVerifySuccess = nil
            }
        }
    }

    func adopt(_ history: History) {
        for (name, backup) in history.backups {
            state.update(name) { entry in
                // The same file keeps the state's record, which has the duration the store lacks.
                guard let current = entry.lastSuccess, current.file != backup.file else {
                    if entry.lastSuccess == nil { entry.lastSuccess = backup }
                    return
                }
                if current.time < backup.time { entry.lastSuccess = backup }
            }
        }
        for (name, count) in history.retained {
            state.update(name) { $0.retained = count }
        }
    }

    /// Writes the state file and the metrics textfile if `stateWrites` says so (see
    /// `StateWriteSchedule`); returns how soon to call again when a change waits.
    func persistStateIfNeeded(now: ClockReading) -> Duration? {
        switch stateWrites.decide(now: now.monotonic) {
        case .idle:
            return nil
        case .wait(let delay):
            return delay
        case .write:
            persistState(now: now)
            return nil
        }
    }

    /// Brings the state up to date with the scheduler and the configuration and writes it.
    func persistState(now: ClockReading) {
        let configured = Set(configuration.databases.map(\.name))
        state.databases.removeAll { !configured.contains($0.name) && inFlight[$0.name] == nil }
        for name in configured.union(inFlight.keys) {
            state.update(name) { entry in
                entry.running = inFlight[name] != nil
                entry.nextRun = scheduler.nextDue(for: name)
            }
        }
        if let schedule = configuration.verifySchedule {
            let kind: DaemonState.VerificationKind = configuration.verifyIdentity == nil ? .scrub : .restoreTest
            var entry = state.verification ?? DaemonState.VerificationSchedule(schedule: "\(schedule)", kind: kind)
            entry.schedule = "\(schedule)"
            entry.kind = kind
            entry.running = verification != nil
            entry.nextRun = verifyScheduler?.nextDue(for: Self.verificationJobName)
            state.verification = entry
        } else {
            state.verification = nil
        }
        state.configFile = configuration.sourceFile
        state.updated = now.wall
        stateWrites.written(at: now.monotonic)
        write("the state file", to: StateFile(directory: configuration.stateDirectory).path) {
            try StateFile(directory: configuration.stateDirectory).write(state)
        }
        if let path = configuration.metricsTextfile {
            write("the metrics textfile", to: path) { try MetricsFile(path: path).write(state) }
        }
    }

    /// Runs one write; a failure is logged once until a write to `path` works again.
    private func write(_ what: String, to path: String, _ body: () throws -> Void) {
        let metadata: Logger.Metadata = [LogKey.path: "\(path)"]
        do {
            try body()
            if unwritableStateFiles.remove(path) != nil {
                logger.notice("\(what) \(path) is written again", metadata: metadata)
            }
        } catch {
            guard unwritableStateFiles.insert(path).inserted else { return }
            logger.log(
                .stateWriteFailed, level: .warning,
                "cannot write \(what) \(path): \(error); litesafe status and monitoring see older information until it works",
                metadata: metadata.merging([LogKey.error: "\(error)"]) { $1 })
        }
    }
}
