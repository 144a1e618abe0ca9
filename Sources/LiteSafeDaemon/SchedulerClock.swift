import Foundation
import LiteSafeCore

/// A source of the two times the scheduler needs, read together.
///
/// Interval schedules and retries follow the monotonic time, which no one can set; cron
/// schedules follow the wall clock. Comparing how far each moved between two readings is how
/// the scheduler notices that the wall clock was stepped.
public protocol SchedulerClock: Sendable {
    /// Reads both clocks, one right after the other.
    func now() -> ClockReading
}

/// Both clocks at one moment.
public struct ClockReading: Sendable, Hashable, CustomStringConvertible {
    public var monotonic: MonotonicInstant
    public var wall: Date

    public init(monotonic: MonotonicInstant, wall: Date) {
        self.monotonic = monotonic
        self.wall = wall
    }

    /// The wall-clock time a monotonic instant corresponds to, assuming no clock step in between.
    public func wallTime(at instant: MonotonicInstant) -> Date {
        wall.addingTimeInterval((instant - monotonic).seconds)
    }

    /// The monotonic instant a wall-clock time corresponds to, assuming no clock step in between.
    public func monotonicInstant(at date: Date) -> MonotonicInstant {
        monotonic + .seconds(date.timeIntervalSince(wall))
    }

    public var description: String { "\(wall) (monotonic \(monotonic))" }
}

/// A point on a clock that only moves forward, as elapsed time since an arbitrary origin.
///
/// The system clock uses the time since boot, including time suspended (`CLOCK_BOOTTIME`).
public struct MonotonicInstant: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var sinceOrigin: Duration

    public init(sinceOrigin: Duration) {
        self.sinceOrigin = sinceOrigin
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.sinceOrigin < rhs.sinceOrigin }
    public static func + (lhs: Self, rhs: Duration) -> Self { Self(sinceOrigin: lhs.sinceOrigin + rhs) }
    public static func - (lhs: Self, rhs: Duration) -> Self { Self(sinceOrigin: lhs.sinceOrigin - rhs) }
    public static func - (lhs: Self, rhs: Self) -> Duration { lhs.sinceOrigin - rhs.sinceOrigin }

    public var description: String { "\(sinceOrigin)" }
}
