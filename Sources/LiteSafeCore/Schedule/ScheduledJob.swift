import Foundation

/// One database's place in the backup schedule: its name, schedule, jitter and time zone.
///
/// The configuration loader builds one per database; the daemon's scheduler keys everything by
/// `name`, so names must be unique.
public struct ScheduledJob: Sendable, Hashable {
    /// The database's name from the configuration.
    public var name: String
    public var schedule: Schedule
    /// Spreads this job's start times by up to this much; zero starts exactly on schedule.
    ///
    /// Every cron time is delayed by the same `jitterOffset`. A catch-up run after start is
    /// delayed by a share of the jitter (at most the scheduler's catch-up window, 30 s), and
    /// interval runs then keep their spacing, so the spread carries over.
    public var jitter: Duration
    /// The zone whose wall clock a cron schedule reads; interval schedules ignore it.
    public var timeZone: TimeZone

    public init(name: String, schedule: Schedule, jitter: Duration = .zero, timeZone: TimeZone = .gmt) {
        self.name = name
        self.schedule = schedule
        self.jitter = jitter
        self.timeZone = timeZone
    }

    /// How long after each cron time this job starts: a fixed share of `jitter` chosen by the name.
    ///
    /// The share comes from a stable hash of the name, so a restart keeps it and two databases
    /// on the same schedule usually start at different times.
    public var jitterOffset: Duration { offset(within: jitter) }

    /// A point in `0..<window`, whole seconds, chosen by a stable hash of the name (zero under 1 s).
    public func offset(within window: Duration) -> Duration {
        let seconds = window.components.seconds
        guard seconds > 0 else { return .zero }
        return .seconds(Int64(Self.stableHash(name) % UInt64(seconds)))
    }

    /// FNV-1a, 64 bits: unlike `Hasher`, it gives the same value in every process.
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }
}
