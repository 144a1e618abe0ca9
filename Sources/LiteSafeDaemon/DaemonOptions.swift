/// How the daemon runs, apart from its configuration file: timings, watchdog, signals.
public struct DaemonOptions: Sendable {
    /// The scheduler's retry, catch-up and sleep timings.
    public var policy: SchedulerPolicy
    /// How long one backup may run before it counts as hung.
    ///
    /// A backup past its deadline is cancelled, and while it still runs the watchdog is not
    /// pinged, so systemd restarts a daemon whose backup is stuck (in the kernel, on a dead NFS
    /// mount) instead of a blind timer hiding it. One hour by default: far above what a backup
    /// of a database that fits a staging folder takes.
    public var backupDeadline: Duration
    /// The interval systemd expects `WATCHDOG=1` within (`WatchdogSec=`), or nil for none;
    /// the daemon pings at half of it.
    public var watchdogInterval: Duration?
    /// How long a stop waits for cancelled backups to finish cleaning up before exiting anyway;
    /// within systemd's default `TimeoutStopSec=` of 30 s.
    public var stopGracePeriod: Duration
    /// The signals the daemon handles with Dispatch sources; none by default, so that tests
    /// (which share one process) opt in. `litesafe run` handles `DaemonSignal.all`.
    public var signals: [DaemonSignal]
    /// The least time between two writes of the state file for backups' results (see
    /// `StateWriteSchedule`), measured on the daemon's `SchedulerClock`.
    public var stateWriteInterval: Duration

    public static let defaultBackupDeadline = Duration.seconds(3_600)
    public static let defaultStopGracePeriod = Duration.seconds(20)

    public init(
        policy: SchedulerPolicy = .standard, backupDeadline: Duration = DaemonOptions.defaultBackupDeadline,
        watchdogInterval: Duration? = nil, stopGracePeriod: Duration = DaemonOptions.defaultStopGracePeriod,
        signals: [DaemonSignal] = [], stateWriteInterval: Duration = StateWriteSchedule.defaultInterval
    ) {
        self.policy = policy
        self.backupDeadline = backupDeadline
        self.watchdogInterval = watchdogInterval
        self.stopGracePeriod = stopGracePeriod
        self.signals = signals
        self.stateWriteInterval = stateWriteInterval
    }

    /// The options of `litesafe run`: every signal handled, and in debug builds the test hooks
    /// of `TestHooks` applied.
    public static func service(watchdogInterval: Duration?) -> DaemonOptions {
        var options = DaemonOptions(watchdogInterval: watchdogInterval, signals: DaemonSignal.all)
        #if DEBUG
            if let deadline = TestHooks.backupDeadline { options.backupDeadline = deadline }
        #endif
        return options
    }
}
