import Foundation
import LiteSafeCore
import LiteSafeDaemon
import Testing

/// Suspend, wall-clock steps forward and back: at most one extra run, no repeats, no long gaps.
@Suite struct SchedulerClockStepTests {
    private static let quarterHourly = ["app": date("2025-01-06T12:00:00Z")]

    @Test func aSuspendRunsEachMissedJobOnceOnWakeUp() {
        var simulation = SchedulerSimulation(
            [job("hourly", "every 1h"), job("cron", "*/15 * * * *")], at: "2025-01-06T12:07:00Z",
            lastRuns: ["hourly": date("2025-01-06T12:00:00Z"), "cron": date("2025-01-06T12:00:00Z")])
        simulation.run(for: .seconds(10 * 60))
        #expect(simulation.wallStarts("cron") == [date("2025-01-06T12:15:00Z")])

        // CLOCK_BOOTTIME counts the time asleep, like the wall clock.
        simulation.clock.suspend(for: .seconds(8 * 3_600))
        simulation.run(for: .seconds(5 * 60))
        #expect(simulation.wallStarts("hourly") == [date("2025-01-06T20:17:00Z")])
        #expect(simulation.wallStarts("cron") == [date("2025-01-06T12:15:00Z"), date("2025-01-06T20:17:00Z")])
        #expect(simulation.clockSteps.isEmpty)
        #expect(simulation.scheduler.nextDue(for: "hourly") == date("2025-01-06T21:17:00Z"))
        #expect(simulation.scheduler.nextDue(for: "cron") == date("2025-01-06T20:30:00Z"))
    }

    @Test func aSuspendTheMonotonicClockMissedRunsCronOnceAndLeavesIntervalsAlone() {
        var simulation = SchedulerSimulation(
            [job("hourly", "every 1h"), job("cron", "*/15 * * * *")], at: "2025-01-06T12:07:00Z",
            lastRuns: ["hourly": date("2025-01-06T12:00:00Z"), "cron": date("2025-01-06T12:00:00Z")])
        simulation.run(for: .seconds(10 * 60))
        // A clock that stops during suspend sees only the wall clock jump.
        simulation.clock.stepWall(by: .seconds(8 * 3_600))
        simulation.run(for: .seconds(5 * 60))
        #expect(simulation.wallStarts("cron") == [date("2025-01-06T12:15:00Z"), date("2025-01-06T20:17:00Z")])
        #expect(simulation.wallStarts("hourly").isEmpty)
        #expect(simulation.clockSteps == [.seconds(8 * 3_600)])
        simulation.run(for: .seconds(60 * 60))
        #expect(simulation.wallStarts("hourly") == [date("2025-01-06T21:00:00Z")])
    }

    @Test func aForwardStepOverSeveralCronTimesRunsOnce() {
        var simulation = SchedulerSimulation(
            [job("app", "*/15 * * * *")], at: "2025-01-06T12:07:00Z", lastRuns: Self.quarterHourly)
        simulation.run(for: .seconds(13 * 60))
        simulation.clock.stepWall(by: .seconds(3_600))
        simulation.run(for: .seconds(20 * 60))
        #expect(
            simulation.wallStarts("app") == [
                date("2025-01-06T12:15:00Z"), date("2025-01-06T13:20:00Z"), date("2025-01-06T13:30:00Z"),
            ])
        #expect(simulation.clockSteps == [.seconds(3_600)])
    }

    @Test func aBackwardStepOfAnHourNeitherRepeatsNorLeavesAGap() {
        var simulation = SchedulerSimulation(
            [job("app", "*/15 * * * *")], at: "2025-01-06T12:07:00Z", lastRuns: Self.quarterHourly)
        simulation.run(for: .seconds(13 * 60))
        simulation.clock.stepWall(by: .seconds(-3_600))
        simulation.run(for: .seconds(70 * 60))
        #expect(
            simulation.wallStarts("app") == [
                date("2025-01-06T12:15:00Z"), date("2025-01-06T11:30:00Z"), date("2025-01-06T11:45:00Z"),
                date("2025-01-06T12:00:00Z"), date("2025-01-06T12:15:00Z"), date("2025-01-06T12:30:00Z"),
            ])
        // In elapsed time the runs stay a quarter of an hour apart.
        #expect(simulation.gaps("app").allSatisfy { $0 == .seconds(900) })
        #expect(simulation.clockSteps == [.seconds(-3_600)])
    }

    @Test func aBackwardStepOfAnHourOnAnHourlyScheduleKeepsTheHour() {
        var simulation = SchedulerSimulation(
            [job("app", "0 * * * *")], at: "2025-01-06T12:07:00Z", lastRuns: Self.quarterHourly)
        simulation.run(for: .seconds(63 * 60))
        simulation.clock.stepWall(by: .seconds(-3_600))
        simulation.run(for: .seconds(60 * 60))
        #expect(simulation.wallStarts("app") == [date("2025-01-06T13:00:00Z"), date("2025-01-06T13:00:00Z")])
        #expect(simulation.gaps("app") == [.seconds(3_600)])
    }

    @Test(arguments: [30, 3])
    func aSmallBackwardStepRightAfterARunDoesNotRepeatIt(seconds: Int) {
        var simulation = SchedulerSimulation(
            [job("app", "0 * * * *")], at: "2025-01-06T12:07:00Z", lastRuns: Self.quarterHourly)
        simulation.run(for: .seconds(53 * 60 + 10))
        simulation.clock.stepWall(by: .seconds(-seconds))
        simulation.run(for: .seconds(70 * 60))
        #expect(simulation.wallStarts("app") == [date("2025-01-06T13:00:00Z"), date("2025-01-06T14:00:00Z")])
    }

    @Test func aStepForwardAndBackAgainAddsOneRunAndNoGap() {
        var simulation = SchedulerSimulation(
            [job("app", "*/15 * * * *")], at: "2025-01-06T12:07:00Z", lastRuns: Self.quarterHourly)
        simulation.run(for: .seconds(13 * 60))
        simulation.clock.stepWall(by: .seconds(3_600))
        simulation.run(for: .seconds(5 * 60))
        simulation.clock.stepWall(by: .seconds(-3_600))
        simulation.run(for: .seconds(40 * 60))
        #expect(
            simulation.wallStarts("app") == [
                date("2025-01-06T12:15:00Z"), date("2025-01-06T13:20:00Z"), date("2025-01-06T12:30:00Z"),
                date("2025-01-06T12:45:00Z"), date("2025-01-06T13:00:00Z"),
            ])
        #expect(simulation.gaps("app") == [.seconds(300), .seconds(600), .seconds(900), .seconds(900)])
        #expect(simulation.clockSteps == [.seconds(3_600), .seconds(-3_600)])
    }

    @Test func intervalsIgnoreWallClockSteps() {
        var simulation = SchedulerSimulation(
            [job("app", "every 1h")], at: "2025-01-06T12:07:00Z", lastRuns: ["app": date("2025-01-06T12:00:00Z")])
        simulation.run(for: .seconds(23 * 60))
        simulation.clock.stepWall(by: .seconds(3_600))
        simulation.run(for: .seconds(20 * 60))
        simulation.clock.stepWall(by: .seconds(-2 * 3_600))
        simulation.run(for: .seconds(3 * 3_600))
        #expect(simulation.gaps("app") == [.seconds(3_600), .seconds(3_600)])
        #expect(simulation.starts.count == 3)
    }

    @Test func aQueuedCronRunStaysDueWhenTheWallClockGoesBack() {
        var simulation = SchedulerSimulation(
            [job("a", "0 * * * *"), job("b", "0 * * * *")], at: "2025-01-06T12:07:00Z", maxConcurrent: 1,
            lastRuns: ["a": date("2025-01-06T12:00:00Z"), "b": date("2025-01-06T12:00:00Z")])
        simulation.backupDuration = .seconds(600)
        simulation.run(for: .seconds(58 * 60))
        simulation.clock.stepWall(by: .seconds(-3_600))
        simulation.run(for: .seconds(10 * 60))
        #expect(simulation.wallStarts("a") == [date("2025-01-06T13:00:00Z")])
        #expect(simulation.wallStarts("b") == [date("2025-01-06T12:10:00Z")])
    }
}

@Suite struct SchedulerClockTests {
    @Test func theSystemClockReadsBootTimeAndTheWallClock() {
        let clock = SystemSchedulerClock()
        let first = clock.now()
        let second = clock.now()
        #expect(second.monotonic >= first.monotonic)
        #expect(first.monotonic > MonotonicInstant(sinceOrigin: .zero))
        #expect(abs(first.wall.timeIntervalSinceNow) < 5)
    }

    @Test func theManualClockMovesOnlyWhenTold() {
        let clock = ManualSchedulerClock(wall: date("2025-01-06T12:00:00Z"))
        let start = clock.now()
        #expect(clock.now() == start)
        clock.advance(by: .seconds(90))
        #expect(clock.now().wall == date("2025-01-06T12:01:30Z"))
        #expect(clock.now().monotonic - start.monotonic == .seconds(90))
        clock.stepWall(by: .seconds(-3_600))
        #expect(clock.now().wall == date("2025-01-06T11:01:30Z"))
        #expect(clock.now().monotonic - start.monotonic == .seconds(90))
        clock.advance(to: date("2025-01-06T11:02:00Z"))
        #expect(clock.now().monotonic - start.monotonic == .seconds(120))
    }

    @Test func aReadingConvertsBetweenTheClocks() {
        let reading = ClockReading(
            monotonic: MonotonicInstant(sinceOrigin: .seconds(100)), wall: date("2025-01-06T12:00:00Z"))
        #expect(reading.wallTime(at: MonotonicInstant(sinceOrigin: .seconds(160))) == date("2025-01-06T12:01:00Z"))
        #expect(
            reading.monotonicInstant(at: date("2025-01-06T11:59:00Z")) == MonotonicInstant(sinceOrigin: .seconds(40)))
    }
}
