import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What `litesafe status` tells: the daemon's state file judged against the configuration and
/// the clock: which databases are fine, which failing, and whether the state can be trusted.
///
/// A pure value built by `init(configuration:state:stateFile:daemonRunning:now:)`;
/// `LiteSafePresentation` prints it for people and for scripts (`--json`, keys stable).
public struct StateReport: Codable, Sendable, Equatable {
    /// The state file read.
    public var stateFile: String
    /// When the report was made.
    public var now: Date
    public var daemon: Daemon
    /// Whether the state may be out of date: no state file, the daemon is not running, a
    /// configured database is unknown to it, or it has not written the file for `staleAfter`.
    public var stale: Bool
    /// Since when the state has been out of date, when known.
    public var staleSince: Date?
    /// Why the state is stale, in a sentence; nil when it is not. What to do about it depends on
    /// how the daemon runs: the edge adds it.
    public var staleReason: String?
    /// One per configured database, in configuration order.
    public var databases: [Row]
    /// The scheduled verification, if the daemon runs one.
    public var verification: DaemonState.VerificationSchedule?
    /// 0 all good, 2 a database's latest backup or verification failed, 3 the state is stale
    /// (3 wins: a stale state cannot vouch for anything). 1 is left for errors.
    public var exitCode: Int32

    public static let exitFailing: Int32 = 2
    public static let exitStale: Int32 = 3

    /// The daemon as the state file and the process table show it.
    public struct Daemon: Codable, Sendable, Equatable {
        public var status: Status
        public var pid: Int32?
        public var started: Date?
        public var updated: Date?
        public var stopped: Date?
        public var configFile: String?
    }

    public enum Status: String, Codable, Sendable, Equatable {
        /// Running and writing its state.
        case running
        /// Stopped cleanly (`stopped` says when).
        case stopped
        /// Its process is gone, but it did not say it stopped: killed, crashed or the machine rebooted.
        case gone
        /// Its process runs but has not written the state for longer than it should.
        case stuck
        /// There is no state file: it never ran with this state folder.
        case neverRan = "never-ran"
    }

    /// How a database is doing, most urgent first.
    public enum Health: String, Codable, Sendable, Equatable {
        /// Its latest backup failed.
        case failing
        /// Its latest verification found a bad backup.
        case verifyFailed = "verify-failed"
        /// Its latest backup reached some of its stores but not all.
        case storeFailing = "store-failing"
        /// The daemon does not know it: added to the configuration without a reload.
        case unknown
        /// No backup yet, and none failed.
        case noBackupYet = "no-backup-yet"
        case ok
    }

    /// One database's line.
    public struct Row: Codable, Sendable, Equatable {
        public var name: String
        public var health: Health
        public var running: Bool
        public var lastSuccess: DaemonState.Backup?
        public var lastFailure: DaemonState.Failure?
        public var consecutiveFailures: Int
        public var failuresTotal: Int
        public var nextRun: Date?
        public var retained: Int?
        public var lastVerification: DaemonState.Verification?
        /// How each store fared, for a database with several.
        public var stores: [DaemonState.Store]? = nil
        /// The newest stored dump (`dump_schedule`), and the latest dump that failed.
        public var lastDump: DaemonState.Backup?
        public var lastDumpFailure: DaemonState.Failure?
    }

    /// Judges `state` (nil: no file) for the databases `configuration` names.
    ///
    /// - Parameter daemonRunning: Whether the process `state.pid` is a running litesafe
    ///   (`StateFile.isLiteSafeProcess(_:)`).
    public init(
        configuration: Configuration, state: DaemonState?, stateFile: String, daemonRunning: Bool, now: Date
    ) {
        self.stateFile = stateFile
        self.now = now
        verification = state?.verification
        guard let state else {
            daemon = Daemon(status: .neverRan)
            stale = true
            staleReason =
                "no state file \(stateFile): the daemon has not run with this state_directory"
            databases = configuration.databases.map {
                Row(
                    name: $0.name, health: .unknown, running: false, consecutiveFailures: 0, failuresTotal: 0)
            }
            exitCode = Self.exitStale
            return
        }
        let status: Status
        if state.stopped != nil {
            status = .stopped
        } else if !daemonRunning {
            status = .gone
        } else if now.timeIntervalSince(state.updated) > Double(DaemonState.staleAfter.components.seconds) {
            status = .stuck
        } else {
            status = .running
        }
        daemon = Daemon(
            status: status, pid: state.pid, started: state.started, updated: state.updated, stopped: state.stopped,
            configFile: state.configFile)
        databases = configuration.databases.map { database in
            guard let entry = state.database(named: database.name) else {
                return Row(
                    name: database.name, health: .unknown, running: false, consecutiveFailures: 0, failuresTotal: 0)
            }
            let health: Health =
                entry.isFailing
                ? .failing
                : entry.verificationFailed
                    ? .verifyFailed
                    : entry.storeFailing ? .storeFailing : entry.lastSuccess == nil ? .noBackupYet : .ok
            return Row(
                name: entry.name, health: health, running: entry.running && status == .running,
                lastSuccess: entry.lastSuccess, lastFailure: entry.lastFailure,
                consecutiveFailures: entry.consecutiveFailures, failuresTotal: entry.failuresTotal,
                nextRun: status == .running ? entry.nextRun : nil, retained: entry.retained,
                lastVerification: entry.lastVerification, stores: entry.stores, lastDump: entry.lastDump,
                lastDumpFailure: entry.lastDumpFailure)
        }
        switch status {
        case .running:
            let unknown = databases.filter { $0.health == .unknown }.map(\.name)
            if unknown.isEmpty {
                stale = false
            } else {
                stale = true
                staleReason =
                    "the daemon does not back up \(unknown.map { "'\($0)'" }.joined(separator: ", ")) yet: the configuration changed since it loaded it"
            }
        case .stopped:
            stale = true
            staleSince = state.stopped
            staleReason = "the daemon is not running: it stopped cleanly; this is the state it left"
        case .gone:
            stale = true
            staleSince = state.updated
            staleReason =
                "the daemon (pid \(state.pid)) is not running and did not stop cleanly (killed, crashed or rebooted); this is the state it last wrote"
        case .stuck:
            stale = true
            staleSince = state.updated
            staleReason =
                "the daemon (pid \(state.pid)) runs but has not updated its state for more than \(formatDuration(DaemonState.staleAfter)) (it rewrites it every \(formatDuration(DaemonState.heartbeat))): it may be stuck"
        case .neverRan:
            stale = true
        }
        if stale {
            exitCode = Self.exitStale
        } else if databases.contains(where: { [.failing, .verifyFailed, .storeFailing].contains($0.health) }) {
            exitCode = Self.exitFailing
        } else {
            exitCode = 0
        }
    }
}

extension StateFile {
    /// Whether `pid` is a running litesafe process (its name starts with `litesafe`), rather
    /// than gone or a reused pid.
    public static func isLiteSafeProcess(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let bytes = try? FileSystem.readSmallFile("/proc/\(pid)/comm", limit: 64) else {
            // No procfs (macOS): a live pid is the best there is.
            return true
        }
        guard String(decoding: bytes, as: UTF8.self).hasPrefix("litesafe") else { return false }
        // A zombie (killed, not yet reaped) answers kill(0) but runs nothing: proc(5), field 3.
        if let stat = try? FileSystem.readSmallFile("/proc/\(pid)/stat", limit: 4096),
            let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count,
            stat[close + 2] == UInt8(ascii: "Z") || stat[close + 2] == UInt8(ascii: "X")
        {
            return false
        }
        return true
    }
}
