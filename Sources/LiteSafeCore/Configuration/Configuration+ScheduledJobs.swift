import Foundation

extension Configuration {
    /// One `ScheduledJob` per database, in file order, for the daemon's scheduler.
    public var scheduledJobs: [ScheduledJob] {
        databases.map { $0.scheduledJob(in: timeZone) }
    }
}

extension Configuration.Database {
    /// This database's place in the schedule, reading cron times in `timeZone`.
    public func scheduledJob(in timeZone: TimeZone) -> ScheduledJob {
        ScheduledJob(name: name, schedule: schedule, jitter: jitter, timeZone: timeZone)
    }
}
