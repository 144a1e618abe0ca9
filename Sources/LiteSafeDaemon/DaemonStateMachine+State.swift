import Foundation
import LiteSafeCore
import Logging

extension DaemonStateMachine {
    /// Starts the state from the previous run's file (keeping failures, counters and
    /// verifications across restarts) and from what the store holds.
    mutating func loadState(_ findings: Daemon.StartupFindings, now: ClockReading) {
        let previous = findings.previousState
        state = DaemonState(
            pid: pid, started: now.wall, updated: now.wall, configFile: configuration.sourceFile,
            databases: previous?.databases ?? [], verification: previous?.verification)
        for index in state.databases.indices { state.databases[index].running = false }
        adopt(findings.history)
        stateWrites.markChanged()
    }

    /// Drops what the state says about backups in a database's old place (its last success,
    /// its verifications), so that `status` and the metrics describe the configured folder;
    /// `adopt` then records the newest backup there, if any. Its failures stay its own.
    mutating func forgetOldPlace(of names: [String]) {
        for name in names {
            state.update(name) { entry in
                entry.lastSuccess = nil
                entry.lastVerification = nil
                entry.lastVerifySuccess = nil
            }
        }
    }

    /// Takes each database's newest backup and count from the store, where they are newer than
    /// what the state says (a `litesafe backup` run by hand, or a state file lost).
    mutating func adopt(_ history: Daemon.History) {
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
        for (name, dump) in history.dumps {
            state.update(name) { entry in
                if entry.lastDump.map({ $0.time < dump.time }) ?? true { entry.lastDump = dump }
            }
        }
        for (name, count) in history.retained {
            state.update(name) { $0.retained = count }
        }
    }

    /// Writes the state file and the metrics textfile if `stateWrites` says so (see
    /// `StateWriteSchedule`); returns how soon to decide again when a change waits.
    mutating func persistStateIfNeeded(now: ClockReading) -> Duration? {
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

    /// Brings the state up to date with the schedulers and the configuration and writes it.
    mutating func persistState(now: ClockReading) {
        let configured = Set(configuration.databases.map(\.name))
        state.databases.removeAll { !configured.contains($0.name) && inFlight[$0.name] == nil }
        for name in configured.union(inFlight.keys) {
            let running = inFlight[name] != nil
            let next = scheduler.nextDue(for: name)
            state.update(name) { entry in
                entry.running = running
                entry.nextRun = next
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
        emit(
            .writeState(
                StateWrite(
                    state: state, stateDirectory: configuration.stateDirectory,
                    metricsTextfile: configuration.metricsTextfile)))
    }
}
