import LiteSafeCore
import Logging

extension DaemonStateMachine {
    /// Names one backup or verification the daemon started, so that its report is matched to it
    /// (a report of an earlier run of the same database is ignored) and the shell can cancel it.
    struct WorkID: Sendable, Hashable, CustomStringConvertible {
        let value: Int
        var description: String { "#\(value)" }
    }

    /// What the machine asks the daemon's shell to do, in order.
    enum Action: Sendable, Equatable {
        /// Log a line.
        case log(LogLine)
        /// Tell systemd (sd_notify).
        case notify(Notification)
        /// Warn about the running SQLite's known bugs (`SQLiteInfo.warnAboutWALResetBug`).
        case warnAboutSQLite
        /// Ping the watchdog from a timer on the queue, this often.
        case armWatchdog(every: Duration)
        /// Install a Dispatch source for each signal; each reports its registration back
        /// (`signalSourceRegistered(now:)`).
        case installSignalSources([DaemonSignal])
        /// Remove interrupted runs' leftovers and read the stores' history and the previous state,
        /// off the queue; report back with `startupRead(_:now:)`.
        case readStoresAtStartup(Configuration)
        /// Call `timerFired(now:)` after this long (replacing any earlier time).
        case armScheduleTimer(after: Duration)
        /// Call `timerFired(now:)` no more.
        case cancelScheduleTimer
        /// Call `graceExpired(now:)` after this long.
        case armGraceTimer(after: Duration)
        /// Run a backup on a thread of its own; report back with `backupFinished(_:id:result:now:)`
        /// (a dump: `dumpFinished(_:id:result:now:)`).
        case startBackup(BackupStart)
        /// Run the scheduled verification on a thread of its own; report back with
        /// `verificationFinished(id:result:now:)`.
        case startVerification(VerificationStart)
        /// Ask a backup or verification in flight to stop at its next safe point.
        case cancel(WorkID)
        /// Read the configuration file and report back with `configurationLoaded(_:now:)`.
        case loadConfiguration(path: String)
        /// List the stores a reload adds, off the queue; report back with
        /// `reloadStoresRead(_:history:now:)`.
        case readStoresForReload(ReloadListing)
        /// Write the state file and, if configured, the metrics textfile; report each file's
        /// outcome with `stateFileWritten(_:error:)`.
        case writeState(StateWrite)
        /// Give the memory finished backups freed back to the system.
        case releaseMemory
        /// Cancel every timer and signal source.
        case stopTimersAndSignals
        /// The daemon has stopped, with this exit status: wake whoever waits for it.
        case exit(code: Int32)
        /// Wake the `reload()` calls waiting for the reload in progress.
        case releaseReloadWaiters
    }

    /// A log line, with where in the machine it was decided (journald's `CODE_FILE`, …); the
    /// place is left out of equality.
    struct LogLine: Sendable, Equatable, CustomStringConvertible {
        var level: Logger.Level
        var event: Event?
        var message: String
        var metadata: Logger.Metadata
        var file: String
        var function: String
        var line: UInt

        static func == (lhs: Self, rhs: Self) -> Bool {
            (lhs.level, lhs.event, lhs.message, lhs.metadata) == (rhs.level, rhs.event, rhs.message, rhs.metadata)
        }

        var description: String { "\(level) \(event.map { "\($0) " } ?? "")\(message)" }
    }

    /// A message to systemd (sd_notify(3)).
    enum Notification: Sendable, Hashable {
        /// `READY=1` once start-up finished, with the status line.
        case ready(status: String)
        /// `READY=1` once a reload finished (or was refused), with the status line.
        case reloaded(status: String)
        /// `RELOADING=1`.
        case reloading
        /// `STOPPING=1`.
        case stopping
        /// `STATUS=`.
        case status(String)
        /// `WATCHDOG=1`.
        case watchdog
        /// `EXTEND_TIMEOUT_USEC=`.
        case extendTimeout(Duration)

        /// What the message tells, for the log line when it cannot be sent.
        var purpose: String {
            switch self {
            case .ready: "that start-up finished"
            case .reloaded: "that the reload finished"
            case .reloading: "that a reload began"
            case .stopping: "that the daemon is stopping"
            case .status: "the status"
            case .watchdog: "that the daemon is alive"
            case .extendTimeout: "how long stopping may take"
            }
        }
    }

    /// A backup to start, under the configuration as it is now.
    struct BackupStart: Sendable, Equatable {
        var id: WorkID
        var run: Scheduler.Run
        var database: Configuration.Database
        /// The configuration it runs under (a reload does not change a backup in flight).
        var configuration: Configuration
        /// A snapshot (reported with `backupFinished`) or a stored dump (`dumpFinished`).
        var kind: BackupKind = .snapshot
        /// Whether it removes leftovers from the stores first (`BackupJob.removesLeftovers`).
        var removesLeftovers = true
    }

    /// The scheduled verification to start.
    struct VerificationStart: Sendable, Equatable {
        var id: WorkID
        var databases: [Configuration.Database]
        /// The age identity to restore-test with, or nil to scrub.
        var identityFile: String?
        /// Where a restore test writes: the state folder, private to the service.
        var scratch: String
    }

    /// What a reload must read from the stores before it can be applied.
    struct ReloadListing: Sendable, Equatable {
        var configuration: Configuration
        /// The configuration file it was read from.
        var path: String
        /// The databases whose history to read: those added, and those whose backups now go
        /// elsewhere or come from another file.
        var databases: [Configuration.Database]
        /// The names of the databases whose backups now go elsewhere or come from another file.
        var relocated: [String]
        /// Those that now back up another file: they have no backup of it yet, wherever it goes.
        var newSource: [String]
        /// Whether the state folder moved (and must be made).
        var makeStateDirectory: Bool
    }

    /// The state to write, and where.
    struct StateWrite: Sendable, Equatable {
        var state: DaemonState
        var stateDirectory: String
        var metricsTextfile: String?
    }

    /// One of the files `writeState` writes, for reporting its outcome.
    struct StateFileName: Sendable, Hashable {
        /// "the state file" or "the metrics textfile".
        var what: String
        var path: String
        /// Whether it is the last file of its write (the metrics textfile, or the state file
        /// when there is none).
        var endsWrite = true
    }
}
