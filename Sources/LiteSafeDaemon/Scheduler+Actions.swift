import Foundation

extension Scheduler {
    /// Why a backup runs now.
    public enum RunReason: String, Sendable, Hashable {
        /// Its scheduled time (plus jitter) came.
        case scheduled
        /// Its scheduled time passed while the daemon was stopped or the machine asleep, or the
        /// database has no backup yet; it runs once, however many times were missed.
        case catchUp
        /// An earlier attempt failed.
        case retry
        /// The latest backup succeeded but missed some of the database's stores: no new backup,
        /// only those stores given what they lack (`BackupEngine.catchUp`).
        case storeRetry
    }

    /// A backup the daemon should start now.
    public struct Run: Sendable, Hashable {
        public var name: String
        public var reason: RunReason
        /// 1, or one more than the number of attempts that failed in a row before it.
        public var attempt: Int

        public init(name: String, reason: RunReason, attempt: Int) {
            self.name = name
            self.reason = reason
            self.attempt = attempt
        }
    }

    /// What to do after a decision: start `runs`, then call `decide(now:)` again after `sleep`.
    public struct Decision: Sendable, Hashable {
        /// The backups to start now, in the order they became due.
        public var runs: [Run]
        /// How long to sleep before deciding again; a finished backup or a reload also warrants
        /// a new decision sooner.
        public var sleep: Duration
        /// How far the wall clock was stepped since the previous reading (forward is positive),
        /// if it was; worth a log line, as cron times moved with it.
        public var clockStep: Duration?

        public init(runs: [Run], sleep: Duration, clockStep: Duration? = nil) {
            self.runs = runs
            self.sleep = sleep
            self.clockStep = clockStep
        }
    }

    /// What follows a finished backup, for the daemon to log.
    public enum FinishOutcome: Sendable, Hashable {
        /// It succeeded; the next run is at `nextRun` (nil if the cron expression has no more).
        case succeeded(nextRun: Date?)
        /// It failed; attempt number `attempt` follows at `at`, after `delay`.
        case retrying(attempt: Int, at: Date, delay: Duration)
        /// It failed `failures` times in a row, and the next scheduled run at `nextRun` comes
        /// before a retry would, so that run is the next attempt.
        case failedUntilNextRun(failures: Int, nextRun: Date?)
        /// It succeeded but missed some stores (or a store retry did not bring them all back);
        /// store retry number `attempt` follows at `at`, after `delay`.
        case storesRetrying(attempt: Int, at: Date, delay: Duration)
        /// It missed some stores `failures` times in a row, and the next scheduled run at
        /// `nextRun` comes before a store retry would, so that run tries them again.
        case storesFailedUntilNextRun(failures: Int, nextRun: Date?)
        /// A reload removed the database while it ran; it is no longer scheduled.
        case unscheduled
    }

    /// The databases a reload added, removed and rescheduled, each sorted by name.
    public struct Changes: Sendable, Hashable {
        public var added: [String]
        public var removed: [String]
        public var changed: [String]

        public init(added: [String] = [], removed: [String] = [], changed: [String] = []) {
            self.added = added
            self.removed = removed
            self.changed = changed
        }

        public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
    }

    /// A database's next run, for `check-config` and the status line.
    public struct UpcomingRun: Sendable, Hashable {
        public var name: String
        /// The wall-clock time it is due (projected from monotonic time for intervals and retries).
        public var date: Date
        public var reason: RunReason
        /// Whether a backup of the database is running now (`date` is then the one after it).
        public var isRunning: Bool

        public init(name: String, date: Date, reason: RunReason, isRunning: Bool) {
            self.name = name
            self.date = date
            self.reason = reason
            self.isRunning = isRunning
        }
    }
}
