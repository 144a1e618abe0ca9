import Foundation
import LiteSafeCore
import LiteSafeDaemon
import Testing

@Suite struct SchedulerRetryTests {
    @Test func retriesBackOffExponentiallyUpToTheCap() {
        var simulation = SchedulerSimulation([job("app", "every 1d")], at: "2025-01-06T12:00:00Z")
        simulation.failing = ["app"]
        simulation.run(for: .seconds(6 * 3_600))
        #expect(
            simulation.gaps("app")
                == [30, 60, 120, 240, 480, 960, 1_920, 3_600, 3_600, 3_600, 3_600].map {
                    Duration.seconds($0)
                })
        #expect(simulation.starts.map(\.attempt) == Array(1...12))
        #expect(simulation.starts.map(\.reason) == [.catchUp] + Array(repeating: .retry, count: 11))
        #expect(
            simulation.outcomes.first?.outcome
                == .retrying(attempt: 2, at: date("2025-01-06T12:00:30Z"), delay: .seconds(30)))
        #expect(
            simulation.outcomes.dropFirst().first?.outcome
                == .retrying(attempt: 3, at: date("2025-01-06T12:01:30Z"), delay: .seconds(60)))
    }

    @Test func theDelayDoublesFromTheFirstAndStopsAtTheMaximum() {
        let policy = SchedulerPolicy(firstRetryDelay: .seconds(10), maximumRetryDelay: .seconds(45))
        #expect(
            (1...5).map { policy.retryDelay(afterFailures: $0) } == [10, 20, 40, 45, 45].map { Duration.seconds($0) })
        #expect(SchedulerPolicy.standard.retryDelay(afterFailures: 1_000) == .seconds(3_600))
    }

    @Test func theNextScheduledRunTakesOverFromRetries() {
        var simulation = SchedulerSimulation(
            [job("app", "*/15 * * * *")], at: "2025-01-06T12:07:00Z", lastRuns: ["app": date("2025-01-06T12:00:00Z")])
        simulation.failing = ["app"]
        simulation.run(for: .seconds(43 * 60))  // until 12:50
        simulation.failing = []
        simulation.run(for: .seconds(30 * 60))  // until 13:20

        #expect(
            simulation.wallStarts("app") == [
                date("2025-01-06T12:15:00Z"), date("2025-01-06T12:15:30Z"), date("2025-01-06T12:16:30Z"),
                date("2025-01-06T12:18:30Z"), date("2025-01-06T12:22:30Z"),
                // A fifth retry would be 8 minutes later, after 12:30: the scheduled run is the retry.
                date("2025-01-06T12:30:00Z"), date("2025-01-06T12:45:00Z"), date("2025-01-06T13:00:00Z"),
                date("2025-01-06T13:15:00Z"),
            ])
        #expect(simulation.starts.map(\.attempt) == [1, 2, 3, 4, 5, 6, 7, 8, 1])
        #expect(
            simulation.starts.map(\.reason) == [
                .scheduled, .retry, .retry, .retry, .retry, .scheduled, .scheduled, .scheduled, .scheduled,
            ])
        #expect(
            simulation.outcomes[4].outcome == .failedUntilNextRun(failures: 5, nextRun: date("2025-01-06T12:30:00Z")))
        #expect(simulation.outcomes[7].outcome == .succeeded(nextRun: date("2025-01-06T13:15:00Z")))
    }

    @Test func aRetryNeverDelaysAnotherDatabase() {
        // `b` is due while `a` waits to retry: the free slot goes to `b`.
        var simulation = SchedulerSimulation(
            [job("a", "every 1h"), job("b", "every 1h")], at: "2025-01-06T12:00:00Z", maxConcurrent: 1,
            lastRuns: ["a": date("2025-01-06T11:01:00Z"), "b": date("2025-01-06T11:01:10Z")])
        simulation.failing = ["a"]
        simulation.backupDuration = .seconds(5)
        simulation.run(for: .seconds(3 * 60))
        #expect(simulation.starts.map(\.name) == ["a", "b", "a", "a"])
        #expect(simulation.wallStarts("b") == [date("2025-01-06T12:01:10Z")])
    }
}
