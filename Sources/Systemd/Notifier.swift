import CSystemd
import Glibc

/// Tells the service manager about the daemon's state over the `NOTIFY_SOCKET` protocol of sd_notify(3).
///
/// Every method is a no-op when the process was not started by systemd with `Type=notify`
/// (no `NOTIFY_SOCKET`), so callers never need to branch on ``isEnabled`` before calling.
/// The environment is left in place on every call: a daemon notifies for its whole life
/// (reloads, watchdog pings, stopping), not just once at start.
public struct Notifier: Sendable {
    /// Creates a notifier that reads `NOTIFY_SOCKET` on each call.
    public init() {}

    /// Whether a service manager is listening, that is `NOTIFY_SOCKET` is set.
    public var isEnabled: Bool {
        guard let socket = getenv("NOTIFY_SOCKET") else { return false }
        return socket.pointee != 0
    }

    /// The interval within which systemd expects ``watchdog()``, or `nil` when `WatchdogSec=` is off.
    ///
    /// sd_watchdog_enabled(3) also checks `WATCHDOG_PID`, so a child process that inherited
    /// the environment correctly sees `nil`. Ping at half this interval, as the man page advises.
    /// - Throws: ``SystemdError`` when `WATCHDOG_USEC` or `WATCHDOG_PID` is malformed.
    public var watchdogInterval: Duration? {
        get throws {
            var usec: UInt64 = 0
            let result = sd_watchdog_enabled(0, &usec)
            if result < 0 {
                throw SystemdError(
                    operation: "sd_watchdog_enabled",
                    result: result,
                    hint: "WATCHDOG_USEC and WATCHDOG_PID must be decimal numbers, as systemd sets them"
                )
            }
            guard result > 0 else { return nil }
            return .microseconds(Int64(clamping: usec))
        }
    }

    /// Reports that start-up (or a reload) has finished, optionally with a status line.
    public func ready(status: String? = nil) throws {
        var message = "READY=1"
        if let status { message += "\nSTATUS=" + Self.singleLine(status) }
        try send(message)
    }

    /// Reports that the daemon has begun reloading its configuration; send ``ready(status:)`` when done.
    ///
    /// `MONOTONIC_USEC` is required alongside `RELOADING=1` by sd_notify(3) so the manager can
    /// tell this reload apart from earlier ones; systemd 252 ignores it, newer versions use it.
    public func reloading() throws {
        try send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
    }

    /// Reports that the daemon is shutting down.
    public func stopping() throws {
        try send("STOPPING=1")
    }

    /// Sets the one-line status shown by `systemctl status`; newlines become spaces.
    public func status(_ line: String) throws {
        try send("STATUS=" + Self.singleLine(line))
    }

    /// Tells the watchdog the daemon is alive.
    public func watchdog() throws {
        try send("WATCHDOG=1")
    }

    /// Asks the manager for `duration` more time to finish starting, reloading or stopping.
    ///
    /// Per sd_notify(3) this does not add to the unit's timeout: the manager waits at least
    /// `duration` from now, so call it again before it runs out during long operations.
    public func extendTimeout(_ duration: Duration) throws {
        try send("EXTEND_TIMEOUT_USEC=\(Self.microseconds(duration))")
    }

    /// Sends one datagram of newline-separated `KEY=value` assignments.
    func send(_ message: String) throws {
        let result = sd_notify(0, message)
        if result < 0 {
            let summary = message.split(separator: "\n").first.map(String.init) ?? message
            throw SystemdError(
                operation: "sd_notify(\(summary))",
                result: result,
                hint: "NOTIFY_SOCKET=\(Self.socketPath) must be the service manager's socket"
            )
        }
    }

    /// The socket sd_notify(3) writes to, for error messages.
    static var socketPath: String {
        getenv("NOTIFY_SOCKET").map { String(cString: $0) } ?? "(unset)"
    }

    /// Replaces line breaks, because one assignment per line is the protocol's only framing.
    static func singleLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }

    /// Whole microseconds in `duration`, rounded down and never negative.
    static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, duration > .zero else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000)
        if overflow { return .max }
        return whole &+ UInt64(attoseconds / 1_000_000_000_000)
    }

    /// `CLOCK_MONOTONIC` now, in microseconds, as `MONOTONIC_USEC` expects.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
