import Foundation
import LiteSafeCore
import LiteSafeDaemon
import Testing

@Suite struct SchedulerReloadTests {
    /// `running` is backing up when the reload comes (12:01–12:11).
    private func simulationWithOneBackupRunning() -> SchedulerSimulation {
        var simulation = SchedulerSimulation(
            [job("running", "every 1h"), job("changed", "every 1h"), job("unchanged", "0 * * * *")],
            at: "2025-01-06T12:00:00Z",
            lastRuns: [
                "running": date("2025-01-06T11:01:00Z"), "changed": date("2025-01-06T11:30:00Z"),
                "unchanged": date("2025-01-06T12:00:00Z"),
            ])
        simulation.backupDuration = .seconds(600)
        simulation.run(for: .seconds(5 * 60))
        return simulation
    }

    @Test func aReloadAddsRemovesAndReschedulesWhileABackupRuns() {
        var simulation = simulationWithOneBackupRunning()
        #expect(simulation.scheduler.runningNames == ["running"])
        let unchangedDue = simulation.scheduler.nextDue(for: "unchanged")

        let changes = simulation.scheduler.update(
            jobs: [job("changed", "every 10m"), job("unchanged", "0 * * * *"), job("added", "0 3 * * *")],
            maxConcurrent: 4, lastRuns: ["added": date("2025-01-06T03:00:00Z")], now: simulation.now)
        #expect(changes == Scheduler.Changes(added: ["added"], removed: ["running"], changed: ["changed"]))
        #expect(simulation.scheduler.scheduledNames == ["added", "changed", "unchanged"])
        #expect(simulation.scheduler.runningNames == ["running"])
        #expect(simulation.scheduler.nextDue(for: "unchanged") == unchangedDue)
        #expect(simulation.scheduler.nextDue(for: "added") == date("2025-01-07T03:00:00Z"))
        #expect(simulation.scheduler.nextDue(for: "running") == nil)

        simulation.run(for: .seconds(30 * 60))
        // The removed backup finishes and is never started again.
        #expect(simulation.outcomes.first { $0.name == "running" }?.outcome == .unscheduled)
        #expect(simulation.wallStarts("running") == [date("2025-01-06T12:01:00Z")])
        // Its last backup is 35 minutes old, older than the new period: one catch-up, then every 10 minutes.
        #expect(
            simulation.wallStarts("changed") == [
                date("2025-01-06T12:05:00Z"), date("2025-01-06T12:15:00Z"), date("2025-01-06T12:25:00Z"),
                date("2025-01-06T12:35:00Z"),
            ])
        #expect(simulation.starts.first { $0.name == "changed" }?.reason == .catchUp)
        #expect(simulation.wallStarts("unchanged").isEmpty)
    }

    @Test func aRelocatedDatabaseIsScheduledFromItsHistoryInTheNewPlace() {
        var simulation = simulationWithOneBackupRunning()
        // The same schedules, but every database's backups now go to another folder: "changed"
        // (every 1h, last 11:30) has none there yet, "unchanged" (hourly, last 12:00) has one from
        // 11:00, and "running" (12:01–12:11) is backing up to the old folder.
        let changes = simulation.scheduler.update(
            jobs: [job("running", "every 1h"), job("changed", "every 1h"), job("unchanged", "0 * * * *")],
            maxConcurrent: 4, lastRuns: ["unchanged": date("2025-01-06T11:00:00Z")],
            relocated: ["changed", "running", "unchanged"], now: simulation.now)
        // The schedules did not change; the reload's summary names the moves.
        #expect(changes.isEmpty)
        simulation.run(for: .seconds(10 * 60))
        // Both catch up at once instead of waiting for 12:30 and 13:00, and the running one
        // backs up to its new place as soon as its run to the old one ends, not at 13:01.
        #expect(simulation.wallStarts("changed") == [date("2025-01-06T12:05:00Z")])
        #expect(simulation.wallStarts("unchanged") == [date("2025-01-06T12:05:00Z")])
        #expect(simulation.wallStarts("running") == [date("2025-01-06T12:01:00Z"), date("2025-01-06T12:11:00Z")])
        #expect(
            simulation.starts.filter { $0.wall > date("2025-01-06T12:02:00Z") }.allSatisfy { $0.reason == .catchUp })
    }

    @Test func anUnchangedReloadChangesNothing() {
        var simulation = simulationWithOneBackupRunning()
        let before = simulation.scheduler.upcomingRuns()
        let changes = simulation.scheduler.update(
            jobs: [job("running", "every 1h"), job("changed", "every 1h"), job("unchanged", "@hourly")],
            maxConcurrent: 4, now: simulation.now)
        #expect(changes.isEmpty)
        #expect(simulation.scheduler.upcomingRuns() == before)
    }

    @Test func aDatabaseRemovedAndAddedBackWhileRunningStaysScheduled() {
        var simulation = simulationWithOneBackupRunning()
        let jobs = [job("running", "every 1h"), job("changed", "every 1h"), job("unchanged", "0 * * * *")]
        simulation.scheduler.update(jobs: Array(jobs.dropFirst()), maxConcurrent: 4, now: simulation.now)
        let changes = simulation.scheduler.update(jobs: jobs, maxConcurrent: 4, now: simulation.now)
        #expect(changes.added == ["running"])
        simulation.run(for: .seconds(2 * 3_600))
        #expect(
            simulation.outcomes.first { $0.name == "running" }?.outcome
                == .succeeded(nextRun: date("2025-01-06T13:01:00Z")))
        #expect(
            simulation.wallStarts("running") == [
                date("2025-01-06T12:01:00Z"), date("2025-01-06T13:01:00Z"), date("2025-01-06T14:01:00Z"),
            ])
    }

    @Test func aJobChangedWhileRunningIsRescheduledFromThatRun() {
        var simulation = simulationWithOneBackupRunning()
        simulation.scheduler.update(
            jobs: [job("running", "every 2h"), job("changed", "every 1h"), job("unchanged", "0 * * * *")],
            maxConcurrent: 4, now: simulation.now)
        #expect(simulation.scheduler.nextDue(for: "running") == date("2025-01-06T14:01:00Z"))
        simulation.run(for: .seconds(30 * 60))
        #expect(simulation.wallStarts("running") == [date("2025-01-06T12:01:00Z")])
        #expect(
            simulation.outcomes.first { $0.name == "running" }?.outcome
                == .succeeded(nextRun: date("2025-01-06T14:01:00Z")))
    }

    @Test func aLowerConcurrencyLimitLetsRunningBackupsFinish() {
        var simulation = SchedulerSimulation(
            [job("a", "0 * * * *"), job("b", "0 * * * *"), job("c", "0 * * * *")], at: "2025-01-06T12:59:00Z",
            maxConcurrent: 3,
            lastRuns: [
                "a": date("2025-01-06T12:00:00Z"), "b": date("2025-01-06T12:00:00Z"),
                "c": date("2025-01-06T12:00:00Z"),
            ])
        simulation.backupDuration = .seconds(600)
        simulation.run(for: .seconds(2 * 60))
        #expect(simulation.scheduler.runningCount == 3)
        simulation.scheduler.update(
            jobs: [job("a", "0 * * * *"), job("b", "0 * * * *"), job("c", "0 * * * *")], maxConcurrent: 1,
            now: simulation.now)
        #expect(simulation.scheduler.maxConcurrent == 1)
        #expect(simulation.scheduler.runningCount == 3)
    }
}
