/// The scheduler's fixed timings: retry backoff, catch-up spread, longest sleep, clock-step tolerance.
///
/// The defaults suit production; tests may shorten them.
public struct SchedulerPolicy: Sendable, Hashable {
    /// The wait before the first retry of a failed backup; each further failure doubles it.
    public var firstRetryDelay: Duration
    /// The longest wait between retries.
    public var maximumRetryDelay: Duration
    /// Missed backups start within this long after the daemon starts, spread by each job's
    /// jitter (never more than the jitter itself), so a restart does not start them all at once.
    public var catchUpWindow: Duration
    /// The longest the daemon sleeps between two decisions, so that a wall-clock step or a
    /// resume from suspend (which the timer's own clock may not count) is noticed this soon.
    public var maximumSleep: Duration
    /// How far the wall clock may drift from the monotonic clock between two readings before
    /// the scheduler treats it as a step (NTP slews far slower; a step is a deliberate set).
    public var clockStepTolerance: Duration

    public init(
        firstRetryDelay: Duration = .seconds(30),
        maximumRetryDelay: Duration = .seconds(3_600),
        catchUpWindow: Duration = .seconds(30),
        maximumSleep: Duration = .seconds(60),
        clockStepTolerance: Duration = .seconds(5)
    ) {
        self.firstRetryDelay = firstRetryDelay
        self.maximumRetryDelay = maximumRetryDelay
        self.catchUpWindow = catchUpWindow
        self.maximumSleep = maximumSleep
        self.clockStepTolerance = clockStepTolerance
    }

    /// The production timings: retries after 30 s, 1 m, 2 m … up to 1 h; catch-up within 30 s.
    public static let standard = SchedulerPolicy()

    /// The wait before retrying after `failures` failures in a row: 30 s, 1 m, 2 m, … capped.
    public func retryDelay(afterFailures failures: Int) -> Duration {
        var delay = firstRetryDelay
        for _ in 1..<max(1, failures) where delay < maximumRetryDelay {
            delay = delay * 2
        }
        return min(delay, maximumRetryDelay)
    }
}
