import Foundation
import LiteSafeCore

/// Decides which backups to start and when, from the schedules, past runs and the clocks.
///
/// A pure value: the daemon's timer reads a `SchedulerClock`, hands the reading in and carries
/// out the answer, so tests drive it with a `ManualSchedulerClock` and no sleeps. The daemon
/// calls:
/// - `decide(now:)` when its timer fires, after `finished(_:success:now:)` and after
///   `update(jobs:maxConcurrent:lastRuns:relocated:now:)`: start the returned runs, then sleep
///   as told;
/// - `finished(_:success:now:)` when a backup ends, and logs the outcome;
/// - `update(jobs:maxConcurrent:lastRuns:relocated:now:)` on reload (SIGHUP).
///
/// The rules it keeps:
/// - A database never has two backups running; at most `maxConcurrent` run at once, and the
///   others wait in the order they became due.
/// - `every` intervals count monotonic time (`CLOCK_BOOTTIME`, which includes suspend) from the
///   start of the previous run, and ignore the wall clock.
/// - Cron times are wall-clock times, each delayed by the job's fixed jitter offset. A run that
///   starts late (queued, after a suspend or a forward clock step) stands for every time that
///   passed: the next is the first time still ahead, so there is never a burst.
/// - A backward step of the wall clock (seen as the wall clock moving less than the monotonic
///   one, beyond `clockStepTolerance`) re-computes cron times from the new wall-clock time, but
///   skips a time that would start less than half a period after the latest run.
/// - At start, and for databases a reload adds or changes, a scheduled time that passed since
///   the latest backup (or the lack of any backup) makes one catch-up run due within
///   `catchUpWindow`, spread by jitter, however many times were missed.
/// - A failed backup is retried after 30 s, 1 m, 2 m … (capped at `maximumRetryDelay`) while the
///   retry comes before the next scheduled run; otherwise that run is the retry.
public struct Scheduler: Sendable {
    public let policy: SchedulerPolicy
    /// The most backups that may run at once (at least 1).
    public private(set) var maxConcurrent: Int
    var jobs: [String: JobState]
    /// The reading of the latest call, to notice wall-clock steps and to project dates.
    private var lastReading: ClockReading
    private var unreportedClockStep: Duration?

    /// Creates the schedule at daemon start.
    ///
    /// - Parameters:
    ///   - jobs: One per database; names must be unique (a later duplicate replaces an earlier one).
    ///   - lastRuns: When each database's latest backup was taken, from the backup store.
    public init(
        jobs: [ScheduledJob], maxConcurrent: Int, lastRuns: [String: Date] = [:], now: ClockReading,
        policy: SchedulerPolicy = .standard
    ) {
        self.policy = policy
        self.maxConcurrent = max(1, maxConcurrent)
        self.lastReading = now
        self.jobs = [:]
        for job in jobs {
            self.jobs[job.name] = JobState(job: job, lastRun: lastRuns[job.name], now: now, policy: policy)
        }
    }

    /// Marks the backups due now as running and returns them, with how long to sleep afterwards.
    public mutating func decide(now: ClockReading) -> Decision {
        observe(now)
        var runs: [Run] = []
        let capacity = maxConcurrent - runningCount
        if capacity > 0 {
            let ready = jobs.values
                .filter { !$0.isRunning }
                .compactMap { state in state.due(now).map { (name: state.job.name, due: $0) } }
                .filter { $0.due <= now.monotonic }
                .sorted { ($0.due, $0.name) < ($1.due, $1.name) }
            for candidate in ready.prefix(capacity) {
                if let run = jobs[candidate.name]?.start(now: now) { runs.append(run) }
            }
        }
        let clockStep = unreportedClockStep
        unreportedClockStep = nil
        return Decision(runs: runs, sleep: sleep(now: now), clockStep: clockStep)
    }

    /// Records that the backup of `name` ended; nil if no backup of `name` was running.
    ///
    /// `missedStores`: it succeeded, but some of the database's stores did not get it (or a store
    /// retry did not bring them all up to date): a store retry follows, with its own backoff.
    public mutating func finished(_ name: String, success: Bool, missedStores: Bool = false, now: ClockReading)
        -> FinishOutcome?
    {
        observe(now)
        guard var state = jobs[name], state.isRunning else { return nil }
        if state.isRemoved {
            jobs[name] = nil
            return .unscheduled
        }
        let outcome = state.finish(success: success, missedStores: missedStores, now: now, policy: policy)
        jobs[name] = state
        return outcome
    }

    /// Applies a reloaded configuration.
    ///
    /// New databases are scheduled as at start (from `lastRuns`, else a catch-up run); removed ones
    /// are dropped, or if running, dropped when they finish; changed ones are rescheduled from
    /// their latest run; unchanged ones keep their next time, retries and failure count.
    ///
    /// `relocated` names databases whose backups now go to another place or come from another
    /// file: they are scheduled as new databases are, from `lastRuns` (their history in the new
    /// place) or with a catch-up run soon; one that is running gets that run when it finishes.
    /// Their failure count carries over.
    @discardableResult
    public mutating func update(
        jobs newJobs: [ScheduledJob], maxConcurrent: Int, lastRuns: [String: Date] = [:],
        relocated: Set<String> = [], now: ClockReading
    ) -> Changes {
        observe(now)
        self.maxConcurrent = max(1, maxConcurrent)
        let incoming = Dictionary(newJobs.map { ($0.name, $0) }, uniquingKeysWith: { _, later in later })
        var changes = Changes()
        for (name, state) in jobs where incoming[name] == nil && !state.isRemoved {
            changes.removed.append(name)
            if state.isRunning { jobs[name]?.isRemoved = true } else { jobs[name] = nil }
        }
        for (name, job) in incoming {
            guard var state = jobs[name] else {
                changes.added.append(name)
                jobs[name] = JobState(job: job, lastRun: lastRuns[name], now: now, policy: policy)
                continue
            }
            if state.isRemoved {
                changes.added.append(name)
            } else if state.job != job {
                changes.changed.append(name)
            } else if !relocated.contains(name) {
                continue
            }
            state.isRemoved = false
            if relocated.contains(name) {
                state.relocate(as: job, lastRun: lastRuns[name], now: now, policy: policy)
                jobs[name] = state
                continue
            }
            state.reschedule(as: job, now: now, policy: policy)
            jobs[name] = state
        }
        changes.added.sort()
        changes.removed.sort()
        changes.changed.sort()
        return changes
    }

    /// The wall-clock time the next backup of `name` is due, as of the latest call.
    public func nextDue(for name: String) -> Date? {
        guard let state = jobs[name], !state.isRemoved else { return nil }
        return state.dueDate(lastReading)
    }

    /// Every database's next run, soonest first (ties by name), as of the latest call.
    public func upcomingRuns() -> [UpcomingRun] {
        jobs.values
            .filter { !$0.isRemoved }
            .compactMap { state in
                state.dueDate(lastReading).map {
                    UpcomingRun(
                        name: state.job.name, date: $0, reason: state.nextReason(lastReading),
                        isRunning: state.isRunning)
                }
            }
            .sorted { ($0.date, $0.name) < ($1.date, $1.name) }
    }

    /// The names of the databases with a backup running, sorted.
    public var runningNames: [String] {
        jobs.values.filter(\.isRunning).map(\.job.name).sorted()
    }

    /// The number of backups running.
    public var runningCount: Int {
        jobs.values.count(where: \.isRunning)
    }

    /// The names of the scheduled databases, sorted (not those removed while running).
    public var scheduledNames: [String] {
        jobs.values.filter { !$0.isRemoved }.map(\.job.name).sorted()
    }

    /// Until the earliest run not yet due, or `maximumSleep`. Runs that wait only for a free
    /// slot need no timer: `finished(_:success:now:)` is followed by a new decision.
    private func sleep(now: ClockReading) -> Duration {
        var sleep = policy.maximumSleep
        for state in jobs.values where !state.isRunning {
            guard let due = state.due(now), due > now.monotonic else { continue }
            sleep = min(sleep, due - now.monotonic)
        }
        return sleep
    }

    /// Notices a wall-clock step since the previous reading and lets cron jobs follow a backward one.
    ///
    /// Forward steps need nothing: the cron times they skip are simply due, and the run that
    /// follows stands for all of them.
    private mutating func observe(_ now: ClockReading) {
        let previous = lastReading
        // A reading older than the latest one came from a caller racing itself; it tells nothing new.
        guard now.monotonic >= previous.monotonic else { return }
        lastReading = now
        let step = Duration.seconds(now.wall.timeIntervalSince(previous.wall)) - (now.monotonic - previous.monotonic)
        guard step > policy.clockStepTolerance || step < .zero - policy.clockStepTolerance else { return }
        unreportedClockStep = (unreportedClockStep ?? .zero) + step
        if step < .zero {
            for name in jobs.keys {
                jobs[name]?.followWallClockStepBack(from: previous, to: now)
            }
        }
    }
}
