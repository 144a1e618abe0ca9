/// What the daemon tells its service manager: start-up, reloads, stopping, status and watchdog.
///
/// `Systemd.Notifier` is the real one (sd_notify(3)); tests record the calls instead, so they
/// never depend on `NOTIFY_SOCKET` in the process environment. Every method may throw when the
/// manager's socket cannot be reached; the daemon logs that and carries on.
public protocol ServiceNotifier: Sendable {
    /// Start-up or a reload has finished (`READY=1`), with the status line.
    func ready(status: String?) throws
    /// A reload has begun (`RELOADING=1`); `ready(status:)` follows when it is done.
    func reloading() throws
    /// The daemon is shutting down (`STOPPING=1`).
    func stopping() throws
    /// The one-line status `systemctl status` shows (`STATUS=`).
    func status(_ line: String) throws
    /// The daemon is alive and making progress (`WATCHDOG=1`).
    func watchdog() throws
    /// Asks for `duration` more time to finish starting, reloading or stopping (`EXTEND_TIMEOUT_USEC=`).
    func extendTimeout(_ duration: Duration) throws
}
