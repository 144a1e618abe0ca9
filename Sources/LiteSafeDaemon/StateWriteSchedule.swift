import LiteSafeCore

/// When the daemon writes its state file and metrics: a pure value over the injected clock.
///
/// Backups' results are written at most once per `interval`: with many databases finishing
/// back to back, one write per backup (the whole state, two fsyncs) would cost more than the
/// backups. Rarer changes (`markChanged(urgent: true)`: a reload, a verification, a clock step)
/// are written at once, and so is the heartbeat, so that `litesafe status` can tell a live
/// daemon from a stuck one.
public struct StateWriteSchedule: Sendable, Hashable {
    /// What to do about the state now.
    enum Decision: Sendable, Hashable {
        /// Nothing changed and no heartbeat is due.
        case idle
        /// Write it now.
        case write
        /// A change waits for the interval to pass: ask again after this long.
        case wait(Duration)
    }

    public static let defaultInterval = Duration.seconds(1)

    var interval: Duration
    var heartbeat: Duration
    /// Whether the state changed since it was last written.
    private(set) var isChanged = false
    /// A change the state file must show at once, not batched with others.
    private(set) var isUrgent = false
    /// When it was last written, on the monotonic clock; nil before the first write.
    private(set) var lastWrite: MonotonicInstant?

    init(interval: Duration = Self.defaultInterval, heartbeat: Duration = DaemonState.heartbeat) {
        self.interval = interval
        self.heartbeat = heartbeat
    }

    /// Whether the state has been written at least once (a daemon that started).
    var hasWritten: Bool { lastWrite != nil }

    mutating func markChanged(urgent: Bool = false) {
        isChanged = true
        if urgent { isUrgent = true }
    }

    /// Whether to write now, at `now`, or when to ask again.
    func decide(now: MonotonicInstant) -> Decision {
        guard let lastWrite else { return .write }
        let since = now - lastWrite
        if since >= heartbeat { return .write }
        guard isChanged else { return .idle }
        if isUrgent || since >= interval { return .write }
        return .wait(interval - since)
    }

    /// Records a write at `now`: nothing is pending any more.
    mutating func written(at now: MonotonicInstant) {
        isChanged = false
        isUrgent = false
        lastWrite = now
    }
}
