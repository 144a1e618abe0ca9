import Foundation

extension Configuration {
    /// One `ScheduledJob` per database, in file order, for the daemon's scheduler.
    public var scheduledJobs: [ScheduledJob] {
        databases.map { $0.scheduledJob(in: timeZone) }
    }
}

extension Configuration {
    /// One `ScheduledJob` per database with a `dump_schedule`, in file order, for the daemon's
    /// dump scheduler (named after the database, as its backup job is).
    public var scheduledDumpJobs: [ScheduledJob] {
        databases.compactMap { $0.scheduledDumpJob(in: timeZone) }
    }
}

extension Configuration.Database {
    /// This database's dumps in the schedule, or nil without a `dump_schedule`; the backup's
    /// jitter applies.
    public func scheduledDumpJob(in timeZone: TimeZone) -> ScheduledJob? {
        dumpSchedule.map { ScheduledJob(name: name, schedule: $0, jitter: jitter, timeZone: timeZone) }
    }

    /// This database's place in the schedule, reading cron times in `timeZone`.
    public func scheduledJob(in timeZone: TimeZone) -> ScheduledJob {
        ScheduledJob(name: name, schedule: schedule, jitter: jitter, timeZone: timeZone)
    }
}
