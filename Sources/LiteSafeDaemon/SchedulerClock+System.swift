import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real clocks: time since boot including suspend, and the system's wall clock.
///
/// `CLOCK_BOOTTIME` keeps counting while the machine sleeps (clock_gettime(2)), so an interval
/// whose time passed during a suspend is due on wake-up, just as a cron time that passed is.
/// `CLOCK_MONOTONIC` would stop during suspend and postpone interval backups by the time slept.
public struct SystemSchedulerClock: SchedulerClock {
    public init() {}

    public func now() -> ClockReading {
        var spec = timespec()
        #if canImport(Glibc)
            clock_gettime(CLOCK_BOOTTIME, &spec)
        #else
            // Darwin's CLOCK_MONOTONIC already counts time asleep.
            clock_gettime(CLOCK_MONOTONIC, &spec)
        #endif
        let monotonic = MonotonicInstant(
            sinceOrigin: .seconds(Int64(spec.tv_sec)) + .nanoseconds(Int64(spec.tv_nsec)))
        return ClockReading(monotonic: monotonic, wall: Date())
    }
}
