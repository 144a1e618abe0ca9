import Foundation
import LiteSafeCore

extension Scheduler {
    /// When a job's next run from its schedule (not a retry) is due.
    enum NextRun: Sendable, Hashable {
        /// An interval job's next run, on the monotonic clock.
        case interval(MonotonicInstant)
        /// A cron job's next time; it is due at this wall-clock time plus the job's jitter offset.
        case cronSlot(Date)
        /// A missed run, on the monotonic clock, soon after start; when it runs it stands for
        /// every scheduled time that has passed.
        case catchUp(MonotonicInstant)
        /// A cron expression with no time left within its search horizon.
        case never
    }

    /// Everything the scheduler knows about one database.
    struct JobState: Sendable {
        var job: ScheduledJob
        var next: NextRun
        /// Set after a failure when a retry comes before `next`.
        var retryAt: MonotonicInstant?
        var consecutiveFailures = 0
        /// Set after a backup that missed some stores, when a store retry comes before `next`.
        var storeRetryAt: MonotonicInstant?
        /// Backups and store retries in a row that left some store without the latest backup.
        var storeFailures = 0
        var isRunning = false
        /// Removed by a reload while running: dropped when it finishes.
        var isRemoved = false
        /// When the latest run started, if one did since the daemon started.
        var lastStart: ClockReading?
        /// When the latest known backup was taken: from the store at start, then each start.
        var lastRun: Date?

        init(job: ScheduledJob, lastRun: Date?, now: ClockReading, policy: SchedulerPolicy) {
            self.job = job
            self.lastRun = lastRun
            self.next = Self.firstRun(of: job, lastRun: lastRun, now: now, policy: policy)
        }

        /// The first run of a job whose latest backup was taken at `lastRun` (nil: never).
        ///
        /// If a scheduled time passed since `lastRun`, or there is no backup yet, one catch-up run
        /// is due within `catchUpWindow`, however many times were missed.
        static func firstRun(of job: ScheduledJob, lastRun: Date?, now: ClockReading, policy: SchedulerPolicy)
            -> NextRun
        {
            let catchUp = NextRun.catchUp(
                now.monotonic + job.offset(within: min(job.jitter, policy.catchUpWindow)))
            guard let lastRun else { return catchUp }
            switch job.schedule {
            case .every(let interval):
                let elapsed = Duration.seconds(now.wall.timeIntervalSince(lastRun))
                if elapsed >= interval { return catchUp }
                // A last run in the future means the wall clock went back since: wait one interval at most.
                return .interval(now.monotonic + min(interval - elapsed, interval))
            case .cron(let expression):
                let jitter = job.jitterOffset
                let from = min(lastRun, now.wall).addingTimeInterval(-jitter.seconds)
                guard let slot = expression.nextDate(after: from, in: job.timeZone) else { return .never }
                return slot.addingTimeInterval(jitter.seconds) <= now.wall ? catchUp : .cronSlot(slot)
            }
        }

        /// The run that follows one starting `now`: an interval later, or the first cron time
        /// not yet due, so a run that starts late stands for every time that passed (no burst).
        func following(startingAt now: ClockReading) -> NextRun {
            switch job.schedule {
            case .every(let interval):
                return .interval(now.monotonic + interval)
            case .cron(let expression):
                let from = now.wall.addingTimeInterval(-job.jitterOffset.seconds)
                return expression.nextDate(after: from, in: job.timeZone).map(NextRun.cronSlot) ?? .never
            }
        }

        /// When the next scheduled (not retry) run is due, on the monotonic clock as of `now`.
        func scheduledDue(_ now: ClockReading) -> MonotonicInstant? {
            switch next {
            case .interval(let instant), .catchUp(let instant): instant
            case .cronSlot(let slot): now.monotonicInstant(at: slot.addingTimeInterval(job.jitterOffset.seconds))
            case .never: nil
            }
        }

        /// When the next run of any kind is due, on the monotonic clock as of `now`.
        func due(_ now: ClockReading) -> MonotonicInstant? {
            [retryAt, storeRetryAt, scheduledDue(now)].compactMap { $0 }.min()
        }

        /// The wall-clock time the next run of any kind is due, as of `now`.
        func dueDate(_ now: ClockReading) -> Date? {
            if case .cronSlot(let slot) = next, retryAt == nil, storeRetryAt == nil {
                return slot.addingTimeInterval(job.jitterOffset.seconds)
            }
            return due(now).map(now.wallTime(at:))
        }

        /// Why the next run will happen: a retry only if it comes before the scheduled run.
        func nextReason(_ now: ClockReading) -> RunReason {
            if let retryAt, scheduledDue(now).map({ retryAt < $0 }) ?? true { return .retry }
            if let storeRetryAt, scheduledDue(now).map({ storeRetryAt < $0 }) ?? true { return .storeRetry }
            if case .catchUp = next { return .catchUp }
            return .scheduled
        }

        mutating func start(now: ClockReading) -> Run {
            let reason = nextReason(now)
            if reason == .storeRetry {
                // Takes no backup: the schedule, and when the latest backup was taken, stay.
                storeRetryAt = nil
                isRunning = true
                return Run(name: job.name, reason: reason, attempt: storeFailures + 1)
            }
            retryAt = nil
            storeRetryAt = nil
            isRunning = true
            lastStart = now
            lastRun = now.wall
            next = following(startingAt: now)
            return Run(name: job.name, reason: reason, attempt: consecutiveFailures + 1)
        }

        /// Records the end of the running backup; a failure schedules a retry with exponential
        /// backoff unless the next scheduled run comes first, which then serves as the retry.
        ///
        /// A backup or store retry that left some store behind (`missedStores`) schedules a store
        /// retry the same way, counted apart: the database's latest backup is good.
        mutating func finish(success: Bool, missedStores: Bool = false, now: ClockReading, policy: SchedulerPolicy)
            -> FinishOutcome
        {
            isRunning = false
            if success {
                consecutiveFailures = 0
                guard missedStores else {
                    storeFailures = 0
                    return .succeeded(nextRun: dueDate(now))
                }
                storeFailures += 1
                let delay = policy.retryDelay(afterFailures: storeFailures)
                let retry = now.monotonic + delay
                if let scheduled = scheduledDue(now), scheduled <= retry {
                    return .storesFailedUntilNextRun(failures: storeFailures, nextRun: dueDate(now))
                }
                storeRetryAt = retry
                return .storesRetrying(attempt: storeFailures + 1, at: now.wallTime(at: retry), delay: delay)
            }
            consecutiveFailures += 1
            let delay = policy.retryDelay(afterFailures: consecutiveFailures)
            let retry = now.monotonic + delay
            if let scheduled = scheduledDue(now), scheduled <= retry {
                return .failedUntilNextRun(failures: consecutiveFailures, nextRun: dueDate(now))
            }
            retryAt = retry
            return .retrying(attempt: consecutiveFailures + 1, at: now.wallTime(at: retry), delay: delay)
        }

        /// Follows a backward step of the wall clock from `previous` to `now`.
        ///
        /// A cron run already due stays due. Otherwise the next cron time is found again from the
        /// new wall-clock time, so the step leaves no long gap; but a time that would start less
        /// than half its period after the latest run is skipped, so the step repeats no run it
        /// just did (the period being the time from that cron time to the one after it).
        mutating func followWallClockStepBack(from previous: ClockReading, to now: ClockReading) {
            guard case .cron(let expression) = job.schedule, case .cronSlot = next else { return }
            if let due = scheduledDue(previous), due <= previous.monotonic {
                next = .catchUp(due)
                return
            }
            let jitter = job.jitterOffset.seconds
            var slot = expression.nextDate(after: now.wall.addingTimeInterval(-jitter), in: job.timeZone)
            if let lastStart {
                while let candidate = slot, let after = expression.nextDate(after: candidate, in: job.timeZone),
                    now.monotonicInstant(at: candidate.addingTimeInterval(jitter)) - lastStart.monotonic
                        < .seconds(after.timeIntervalSince(candidate) / 2)
                {
                    slot = after
                }
            }
            next = slot.map(NextRun.cronSlot) ?? .never
        }

        /// Adopts a changed job definition, scheduling it as a restart would, from its latest run.
        /// Schedules the job afresh from `lastRun`, its history in a new place: as a new job is,
        /// but keeping its failure count. A run in progress keeps going; `finish` leaves `next`
        /// alone, so the first run in the new place follows it.
        mutating func relocate(as job: ScheduledJob, lastRun: Date?, now: ClockReading, policy: SchedulerPolicy) {
            self.job = job
            self.lastRun = lastRun
            lastStart = nil
            retryAt = nil
            next = Self.firstRun(of: job, lastRun: lastRun, now: now, policy: policy)
        }

        mutating func reschedule(as job: ScheduledJob, now: ClockReading, policy: SchedulerPolicy) {
            self.job = job
            if case .every(let interval) = job.schedule, let lastStart {
                // The monotonic clock measures this process's own runs more reliably than the wall.
                let due = lastStart.monotonic + interval
                next =
                    due > now.monotonic
                    ? .interval(due) : Self.firstRun(of: job, lastRun: nil, now: now, policy: policy)
            } else {
                next = Self.firstRun(of: job, lastRun: lastRun, now: now, policy: policy)
            }
        }
    }
}
