import Foundation
import LiteSafeCore
import LiteSafeDaemon
import Testing

/// An instant written as ISO 8601 with its offset, e.g. `2025-01-06T12:07:00Z`.
func date(_ text: String) -> Date {
    guard let date = ISO8601DateFormatter().date(from: text) else { fatalError("bad test date \(text)") }
    return date
}

func job(_ name: String, _ schedule: String, jitter: Duration = .zero, timeZone: TimeZone = .gmt) -> ScheduledJob {
    // Test schedules are literals known to parse.
    ScheduledJob(name: name, schedule: try! Schedule(parsing: schedule), jitter: jitter, timeZone: timeZone)
}

/// The daemon's loop in miniature, on a manual clock: decide, start, finish, sleep as told.
struct SchedulerSimulation {
    struct Start: Equatable {
        var name: String
        var reason: Scheduler.RunReason
        var attempt: Int
        var wall: Date
        var monotonic: MonotonicInstant
    }

    let clock: ManualSchedulerClock
    var scheduler: Scheduler
    var starts: [Start] = []
    var outcomes: [(name: String, outcome: Scheduler.FinishOutcome?)] = []
    var clockSteps: [Duration] = []
    /// Databases whose backups fail.
    var failing: Set<String> = []
    /// How long each backup takes.
    var backupDuration: Duration = .zero
    var inFlight: [(name: String, endsAt: MonotonicInstant)] = []

    init(
        _ jobs: [ScheduledJob], at start: String, maxConcurrent: Int = 4, lastRuns: [String: Date] = [:],
        policy: SchedulerPolicy = .standard
    ) {
        clock = ManualSchedulerClock(wall: date(start))
        scheduler = Scheduler(
            jobs: jobs, maxConcurrent: maxConcurrent, lastRuns: lastRuns, now: clock.now(), policy: policy)
    }

    var now: ClockReading { clock.now() }

    /// Runs the loop until `duration` has passed on the monotonic clock.
    mutating func run(for duration: Duration) {
        let end = clock.now().monotonic + duration
        for _ in 0..<100_000 {
            let now = clock.now()
            let finishing = inFlight.filter { $0.endsAt <= now.monotonic }
            inFlight.removeAll { $0.endsAt <= now.monotonic }
            for backup in finishing {
                let outcome = scheduler.finished(backup.name, success: !failing.contains(backup.name), now: now)
                outcomes.append((backup.name, outcome))
            }
            let decision = scheduler.decide(now: now)
            if let step = decision.clockStep { clockSteps.append(step) }
            for run in decision.runs {
                #expect(!inFlight.contains { $0.name == run.name }, "two backups of \(run.name) at once")
                starts.append(
                    Start(
                        name: run.name, reason: run.reason, attempt: run.attempt, wall: now.wall,
                        monotonic: now.monotonic))
                inFlight.append((run.name, now.monotonic + backupDuration))
            }
            #expect(inFlight.count <= scheduler.maxConcurrent)
            #expect(decision.sleep > .zero && decision.sleep <= scheduler.policy.maximumSleep)
            if !finishing.isEmpty || !decision.runs.isEmpty { continue }
            guard now.monotonic < end else { return }
            var wake = min(now.monotonic + decision.sleep, end)
            if let firstEnd = inFlight.map(\.endsAt).min() { wake = min(wake, firstEnd) }
            clock.advance(by: wake - now.monotonic)
        }
        Issue.record("the simulation did not settle")
    }

    /// The wall-clock times `name` started, in order.
    func wallStarts(_ name: String) -> [Date] { starts.filter { $0.name == name }.map(\.wall) }

    /// The monotonic time between consecutive starts of `name`.
    func gaps(_ name: String) -> [Duration] {
        let times = starts.filter { $0.name == name }.map(\.monotonic)
        return zip(times, times.dropFirst()).map { $1 - $0 }
    }
}

@Suite struct SchedulerTests {
    @Test func intervalsRunOnTheirPeriodFromTheLastRun() {
        var simulation = SchedulerSimulation(
            [job("app", "every 1h")], at: "2025-01-06T12:00:00Z", lastRuns: ["app": date("2025-01-06T11:10:00Z")])
        simulation.run(for: .seconds(5 * 3_600))
        #expect(
            simulation.wallStarts("app") == [
                date("2025-01-06T12:10:00Z"), date("2025-01-06T13:10:00Z"), date("2025-01-06T14:10:00Z"),
                date("2025-01-06T15:10:00Z"), date("2025-01-06T16:10:00Z"),
            ])
        #expect(simulation.starts.allSatisfy { $0.reason == .scheduled && $0.attempt == 1 })
    }

    @Test func cronRunsAtItsTimes() {
        var simulation = SchedulerSimulation(
            [job("app", "*/15 * * * *")], at: "2025-01-06T12:07:00Z", lastRuns: ["app": date("2025-01-06T12:00:00Z")])
        simulation.run(for: .seconds(3_600))
        #expect(
            simulation.wallStarts("app") == [
                date("2025-01-06T12:15:00Z"), date("2025-01-06T12:30:00Z"), date("2025-01-06T12:45:00Z"),
                date("2025-01-06T13:00:00Z"),
            ])
    }

    @Test func cronFollowsTheJobsTimeZoneAcrossSpringForward() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        var simulation = SchedulerSimulation(
            [job("app", "30 2 * * *", timeZone: berlin)], at: "2025-03-29T12:00:00+01:00",
            lastRuns: ["app": date("2025-03-29T02:30:00+01:00")])
        simulation.run(for: .seconds(2 * 86_400))
        #expect(simulation.wallStarts("app") == [date("2025-03-30T03:00:00+02:00"), date("2025-03-31T02:30:00+02:00")])
    }

    @Test func jitterDelaysEveryCronTimeByTheSameAmount() {
        let jittered = job("app", "0 * * * *", jitter: .seconds(300))
        #expect(jittered.jitterOffset == .seconds(104))
        var simulation = SchedulerSimulation(
            [jittered], at: "2025-01-06T12:07:00Z", lastRuns: ["app": date("2025-01-06T12:01:44Z")])
        #expect(simulation.scheduler.nextDue(for: "app") == date("2025-01-06T13:01:44Z"))
        simulation.run(for: .seconds(2 * 3_600))
        #expect(simulation.wallStarts("app") == [date("2025-01-06T13:01:44Z"), date("2025-01-06T14:01:44Z")])

        // A restart finds the same times.
        let restarted = Scheduler(
            jobs: [jittered], maxConcurrent: 1, lastRuns: ["app": date("2025-01-06T14:01:44Z")],
            now: ClockReading(monotonic: MonotonicInstant(sinceOrigin: .seconds(5)), wall: date("2025-01-06T14:30:00Z"))
        )
        #expect(restarted.nextDue(for: "app") == date("2025-01-06T15:01:44Z"))
    }

    @Test func aWeekDownRunsOnceSoonAfterStartThenOnSchedule() {
        let lastWeek = date("2024-12-30T12:00:00Z")
        var simulation = SchedulerSimulation(
            [
                job("hourly", "every 1h"), job("cron", "0 * * * *"),
                job("jittered", "*/5 * * * *", jitter: .seconds(300)),
            ],
            at: "2025-01-06T12:07:00Z", lastRuns: ["hourly": lastWeek, "cron": lastWeek, "jittered": lastWeek])
        simulation.run(for: .seconds(3_600 + 600))

        #expect(simulation.wallStarts("hourly") == [date("2025-01-06T12:07:00Z"), date("2025-01-06T13:07:00Z")])
        #expect(simulation.wallStarts("cron") == [date("2025-01-06T12:07:00Z"), date("2025-01-06T13:00:00Z")])
        let jittered = simulation.starts.filter { $0.name == "jittered" }
        let catchUp = jittered[0].wall.timeIntervalSince(date("2025-01-06T12:07:00Z"))
        #expect(catchUp >= 0 && catchUp < 30)
        // After the catch-up, every five minutes again, never two within one.
        #expect(simulation.gaps("jittered").dropFirst().allSatisfy { $0 == .seconds(300) })
        #expect(
            simulation.starts.filter { $0.reason == .catchUp }.map(\.name).sorted() == ["cron", "hourly", "jittered"])
    }

    @Test func aDatabaseWithoutBackupsRunsSoonAfterStart() {
        var simulation = SchedulerSimulation([job("new", "0 3 * * *")], at: "2025-01-06T12:07:00Z")
        simulation.run(for: .seconds(60))
        #expect(simulation.starts.map(\.reason) == [.catchUp])
        #expect(simulation.scheduler.nextDue(for: "new") == date("2025-01-07T03:00:00Z"))
    }

    @Test func aRecentBackupMeansNoCatchUp() {
        var simulation = SchedulerSimulation(
            [job("app", "0 3 * * *"), job("hourly", "every 1h")], at: "2025-01-06T12:07:00Z",
            lastRuns: ["app": date("2025-01-06T03:00:05Z"), "hourly": date("2025-01-06T12:00:00Z")])
        simulation.run(for: .seconds(16 * 3_600))
        #expect(simulation.wallStarts("app") == [date("2025-01-07T03:00:00Z")])
        #expect(simulation.wallStarts("hourly").first == date("2025-01-06T13:00:00Z"))
    }

    @Test func aLastRunInTheFutureWaitsAtMostOnePeriod() {
        // The wall clock went back since the last run was recorded.
        let scheduler = Scheduler(
            jobs: [job("hourly", "every 1h"), job("cron", "0 * * * *")], maxConcurrent: 1,
            lastRuns: ["hourly": date("2025-01-07T00:00:00Z"), "cron": date("2025-01-07T00:00:00Z")],
            now: ManualSchedulerClock(wall: date("2025-01-06T12:07:00Z")).now())
        #expect(scheduler.nextDue(for: "hourly") == date("2025-01-06T13:07:00Z"))
        #expect(scheduler.nextDue(for: "cron") == date("2025-01-06T13:00:00Z"))
    }

    @Test func maxConcurrentQueuesTheRestInDueOrder() {
        var simulation = SchedulerSimulation(
            [job("a", "every 1h"), job("b", "every 1h"), job("c", "every 1h")], at: "2025-01-06T12:00:00Z",
            maxConcurrent: 1,
            lastRuns: [
                "a": date("2025-01-06T11:02:00Z"), "b": date("2025-01-06T11:01:00Z"), "c": date("2025-01-06T11:03:00Z"),
            ])
        simulation.backupDuration = .seconds(600)
        simulation.run(for: .seconds(40 * 60))
        #expect(simulation.starts.map(\.name) == ["b", "a", "c"])
        #expect(
            simulation.starts.map(\.wall) == [
                date("2025-01-06T12:01:00Z"), date("2025-01-06T12:11:00Z"), date("2025-01-06T12:21:00Z"),
            ])
    }

    @Test func runsDueTogetherStartUpToTheLimitThenByName() {
        var simulation = SchedulerSimulation(
            [job("c", "0 * * * *"), job("a", "0 * * * *"), job("b", "0 * * * *")], at: "2025-01-06T12:07:00Z",
            maxConcurrent: 2,
            lastRuns: [
                "a": date("2025-01-06T12:00:00Z"), "b": date("2025-01-06T12:00:00Z"),
                "c": date("2025-01-06T12:00:00Z"),
            ])
        simulation.backupDuration = .seconds(120)
        simulation.run(for: .seconds(60 * 60))
        #expect(simulation.starts.map(\.name) == ["a", "b", "c"])
        #expect(
            simulation.starts.map(\.wall) == [
                date("2025-01-06T13:00:00Z"), date("2025-01-06T13:00:00Z"), date("2025-01-06T13:02:00Z"),
            ])
    }

    @Test func aDatabaseNeverRunsTwiceAtOnceAndALongBackupIsNotFollowedByABurst() {
        var simulation = SchedulerSimulation(
            [job("app", "every 1m"), job("cron", "* * * * *")], at: "2025-01-06T12:00:00Z",
            lastRuns: ["app": date("2025-01-06T12:00:00Z"), "cron": date("2025-01-06T12:00:00Z")])
        simulation.backupDuration = .seconds(330)
        simulation.run(for: .seconds(20 * 60))
        // Each start follows the end of the previous backup; the minutes it covered run once.
        #expect(simulation.gaps("app") == [.seconds(330), .seconds(330), .seconds(330)])
        #expect(
            simulation.wallStarts("cron") == [
                date("2025-01-06T12:01:00Z"), date("2025-01-06T12:06:30Z"), date("2025-01-06T12:12:00Z"),
                date("2025-01-06T12:17:30Z"),
            ])
    }

    @Test func upcomingRunsAreSortedAndShowWhatIsRunning() {
        var simulation = SchedulerSimulation(
            [job("b", "every 1h"), job("a", "0 3 * * *"), job("c", "*/15 * * * *")], at: "2025-01-06T12:07:00Z",
            lastRuns: [
                "a": date("2025-01-06T03:00:00Z"), "b": date("2025-01-06T11:20:00Z"),
                "c": date("2025-01-06T12:00:00Z"),
            ])
        simulation.backupDuration = .seconds(3_600)
        simulation.run(for: .seconds(10 * 60))
        let upcoming = simulation.scheduler.upcomingRuns()
        #expect(upcoming.map(\.name) == ["b", "c", "a"])
        #expect(
            upcoming.map(\.date) == [
                date("2025-01-06T12:20:00Z"), date("2025-01-06T12:30:00Z"), date("2025-01-07T03:00:00Z"),
            ])
        #expect(upcoming.map(\.isRunning) == [false, true, false])
        #expect(upcoming.map(\.reason) == [.scheduled, .scheduled, .scheduled])
        #expect(simulation.scheduler.runningNames == ["c"])
        #expect(simulation.scheduler.runningCount == 1)
        #expect(simulation.scheduler.nextDue(for: "b") == date("2025-01-06T12:20:00Z"))
        #expect(simulation.scheduler.nextDue(for: "unknown") == nil)
    }

    @Test func sleepsUntilTheNextRunButNeverLongerThanTheMaximum() {
        let clock = ManualSchedulerClock(wall: date("2025-01-06T12:00:00Z"))
        var scheduler = Scheduler(
            jobs: [job("app", "every 1h")], maxConcurrent: 1, lastRuns: ["app": date("2025-01-06T11:59:30Z")],
            now: clock.now())
        #expect(scheduler.decide(now: clock.now()).sleep == .seconds(60))
        clock.advance(by: .seconds(59 * 60))
        #expect(scheduler.decide(now: clock.now()).sleep == .seconds(30))
    }

    @Test func finishingSomethingNotRunningIsIgnored() {
        let now = ManualSchedulerClock(wall: date("2025-01-06T12:00:00Z")).now()
        var scheduler = Scheduler(
            jobs: [job("app", "every 1h")], maxConcurrent: 1, lastRuns: ["app": date("2025-01-06T11:59:30Z")], now: now)
        #expect(scheduler.finished("app", success: true, now: now) == nil)
        #expect(scheduler.finished("other", success: false, now: now) == nil)
    }
}
