import Foundation
import LiteSafeCore
import LiteSafeDaemon

/// A clock that moves only when told to, for tests of anything driven by a `SchedulerClock`;
/// it lives with the tests so that the product ships no clock a test can move.
///
/// `advance(by:)` is time passing; `stepWall(by:)` is someone setting the wall clock;
/// `suspend(for:)` is the machine sleeping, during which `CLOCK_BOOTTIME` and the wall clock
/// both move on (as `SystemSchedulerClock` sees it).
final class ManualSchedulerClock: SchedulerClock, @unchecked Sendable {
    // NSLock rather than Mutex: Mutex needs macOS 15 and the package supports macOS 13.
    private let lock = NSLock()
    private var reading: ClockReading

    /// Starts at `wall`, with the monotonic clock at an arbitrary non-zero origin.
    init(wall: Date, monotonic: MonotonicInstant = MonotonicInstant(sinceOrigin: .seconds(1_000))) {
        reading = ClockReading(monotonic: monotonic, wall: wall)
    }

    func now() -> ClockReading {
        lock.withLock { reading }
    }

    /// Lets time pass: both clocks move forward by `duration`.
    func advance(by duration: Duration) {
        lock.withLock {
            reading.monotonic = reading.monotonic + duration
            reading.wall = reading.wall.addingTimeInterval(duration.seconds)
        }
    }

    /// Lets time pass until the wall clock shows `date` (which must not be in the past).
    func advance(to date: Date) {
        let interval = lock.withLock { date.timeIntervalSince(reading.wall) }
        precondition(interval >= 0, "advance(to:) cannot go back; use stepWall(by:)")
        advance(by: .seconds(interval))
    }

    /// Sets the wall clock forward (positive) or back (negative) without time passing.
    func stepWall(by duration: Duration) {
        lock.withLock { reading.wall = reading.wall.addingTimeInterval(duration.seconds) }
    }

    /// The machine sleeps for `duration`: same as `advance(by:)` under `CLOCK_BOOTTIME`.
    func suspend(for duration: Duration) {
        advance(by: duration)
    }
}
