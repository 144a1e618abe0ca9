import Foundation
import LiteSafeCore
import Logging

extension DaemonStateMachine {
    /// The name of the one job in `verifyScheduler`.
    static let verificationJobName = "verification"

    /// The schedule of `verify_schedule`, or nil without one; the first verification comes one
    /// scheduled time after `lastRun` (the previous run's, from the state file), or after now.
    func makeVerifyScheduler(now: ClockReading, lastRun: Date?) -> Scheduler? {
        guard let job = verificationJob else { return nil }
        return Scheduler(
            jobs: [job], maxConcurrent: 1, lastRuns: [Self.verificationJobName: lastRun ?? now.wall], now: now,
            policy: options.policy)
    }

    var verificationJob: ScheduledJob? {
        configuration.verifySchedule.map {
            ScheduledJob(name: Self.verificationJobName, schedule: $0, timeZone: configuration.timeZone)
        }
    }

    /// Applies a reloaded `verify_schedule`: a new or changed schedule counts from the latest
    /// verification; a removed one lets a running verification finish.
    mutating func rescheduleVerification(now: ClockReading) {
        guard let job = verificationJob else {
            _ = verifyScheduler?.update(jobs: [], maxConcurrent: 1, now: now)
            return
        }
        guard verifyScheduler != nil else {
            verifyScheduler = makeVerifyScheduler(now: now, lastRun: state.verification?.lastStart)
            return
        }
        let lastRun = state.verification?.lastStart ?? now.wall
        verifyScheduler?.update(
            jobs: [job], maxConcurrent: 1, lastRuns: [Self.verificationJobName: lastRun], now: now)
    }

    /// Asks the verification schedule what is due, starts it, and returns how long until it
    /// needs asking again.
    mutating func runDueVerification(now: ClockReading) -> Duration? {
        guard let decision = verifyScheduler?.decide(now: now) else { return nil }
        if !decision.runs.isEmpty { startVerification(now: now) }
        return decision.sleep
    }

    /// Verifies every configured database's backups.
    ///
    /// It takes no store lock, so backups and prunes go on meanwhile: new backups are published
    /// atomically and a backup pruned while it is read is left out (`Verifier.verifyBackups`).
    mutating func startVerification(now: ClockReading) {
        let databases = configuration.databases
        let identityFile = configuration.verifyIdentity
        let id = nextWorkID()
        verification = InFlightVerification(started: now, id: id)
        if state.verification == nil, let schedule = configuration.verifySchedule {
            state.verification = DaemonState.VerificationSchedule(
                schedule: "\(schedule)", kind: identityFile == nil ? .scrub : .restoreTest)
        }
        state.verification?.lastStart = now.wall
        stateWrites.markChanged(urgent: true)
        let kind = identityFile == nil ? "scrub" : "restore test"
        log("scheduled verification started: \(kind) of the backups of \(quotedNames(databases.map(\.name)))")
        // The state folder as scratch: private to the service (0700), and it must already have
        // room for the largest database (staging is inside it).
        emit(
            .startVerification(
                VerificationStart(
                    id: id, databases: databases, identityFile: identityFile, scratch: configuration.stateDirectory)))
    }

    /// The scheduled verification ended: records its verdicts, logs them, and decides again;
    /// while stopping, it may complete the stop. A report of another run is ignored.
    mutating func verificationFinished(
        id: WorkID, result: Result<[Verifier.DatabaseReport], any Error>, now: ClockReading
    ) -> [Action] {
        guard let running = verification, running.id == id else { return [] }
        verification = nil
        if phase == .stopping || phase == .stopped {
            if phase == .stopping && isIdle { finishStopping(exitCode: 0, now: now) }
            return takeActions()
        }
        // Never retried: a verification fails on damaged files, which a retry finds damaged again.
        _ = verifyScheduler?.finished(Self.verificationJobName, success: true, now: now)
        state.verification?.lastEnd = now.wall
        stateWrites.markChanged(urgent: true)
        switch result {
        case .failure(let error):
            let text = Daemon.errorText(error)
            log(
                .scheduledVerifyFailed, level: .error, "scheduled verification stopped: \(text)",
                metadata: [LogKey.error: "\(text)"])
        case .success(let reports):
            record(reports, now: now)
        }
        runDueWork(now: now)
        releaseMemoryWhenIdle()
        return takeActions()
    }

    private mutating func record(_ reports: [Verifier.DatabaseReport], now: ClockReading) {
        // A database removed by a reload while it was verified is no longer shown anywhere.
        for report in reports where configuration.database(named: report.database) != nil {
            state.update(report.database) { entry in
                entry.lastVerification = DaemonState.Verification(
                    time: now.wall, kind: report.kind, ok: report.ok, checked: report.checked,
                    failed: report.failed, reason: report.reason)
                if report.ok { entry.lastVerifySuccess = now.wall }
            }
        }
        let checked = reports.map(\.checked).reduce(0, +)
        let failed = reports.filter { !$0.ok }
        guard !failed.isEmpty else {
            log(
                .scheduledVerifyCompleted,
                "scheduled verification passed: \(checked) \(checked == 1 ? "backup" : "backups") of \(reports.count) \(reports.count == 1 ? "database" : "databases") ok"
            )
            return
        }
        for report in failed {
            let reason = report.reason ?? "failed"
            let count =
                report.failed > 0 ? "\(report.failed) of \(report.checked) backups failed" : "it could not be checked"
            log(
                .scheduledVerifyFailed, level: .error,
                "scheduled verification of '\(report.database)' FAILED: \(count): \(reason)",
                metadata: [LogKey.database: "\(report.database)", LogKey.error: "\(reason)"])
        }
    }
}
