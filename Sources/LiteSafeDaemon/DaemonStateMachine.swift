import Foundation
import LiteSafeCore
import Logging

/// Everything the daemon decides, as a value: it takes events and returns the actions to carry
/// out, in order.
///
/// `Daemon` is the shell around it: it reads the clock, feeds each event in on its serial queue
/// and performs the actions (threads, timers, sd_notify, file writes, log lines). The machine
/// holds the daemon's mutable state (the two schedulers, the backups and the verification in
/// flight, the reload and stop status, the state file's content and when to write it) and does
/// no I/O, so tests drive it directly with clock readings of their own and check the actions.
///
/// The events: `startRequested(now:)` and `startupRead(_:now:)` (start-up, around the stores'
/// reading off the queue), `signalSourceRegistered(now:)`, `timerFired(now:)` (the schedule
/// timer: due backups and verifications, clock steps, state writes), `backupFinished`,
/// `verificationFinished`, `reloadRequested(now:)`, `configurationLoaded(_:now:)`,
/// `reloadStoresRead(_:history:now:)`, `stopRequested(reason:now:)`, `graceExpired(now:)`,
/// `watchdogFired(now:)`, and the outcomes of actions that can fail
/// (`notificationFailed(_:error:)`, `stateFileWritten(_:error:)`).
struct DaemonStateMachine: Sendable {
    let options: DaemonOptions
    /// The daemon's process id, for the state file.
    let pid: Int32

    /// The configuration new backups start under (one in flight keeps the one it started with).
    var configuration: Configuration
    var scheduler: Scheduler
    /// When each database with a `dump_schedule` stores a dump (jobs named after the databases).
    var dumpScheduler: Scheduler
    /// Dumps started and not yet reported back, by database.
    var inFlightDumps: [String: InFlightBackup] = [:]
    /// Dumps that came due while their database's backup ran (they share its store lock): each
    /// starts when that backup ends.
    var waitingDumps: [String: Scheduler.Run] = [:]
    /// Backups that came due while their database's dump ran, started when it ends.
    var waitingBackups: [String: Scheduler.Run] = [:]
    /// When `verify_schedule` verifies the stored backups; nil without one.
    var verifyScheduler: Scheduler?
    var phase = Phase.created
    var inFlight: [String: InFlightBackup] = [:]
    /// Databases whose stores hold nothing an interrupted run of this daemon left: its last run
    /// there succeeded in every store. Their next backup skips the cleanup (a listing on S3);
    /// empty at start (start-up cleans, and the first run of each cleans again) and after a reload.
    var cleanStores: Set<String> = []
    var verification: InFlightVerification?
    /// The latest backup that ended, for the status line.
    var last: StatusLine.LastBackup?
    /// Whether the latest reload was refused.
    var reloadFailed = false
    /// What the state file and the metrics say.
    var state: DaemonState
    /// When `state` is next written.
    var stateWrites: StateWriteSchedule
    /// The state and metrics files whose latest write failed (logged once each).
    var unwritableStateFiles: Set<String> = []
    /// Signal sources not registered yet: `READY=1` waits for them.
    var unregisteredSignals = 0
    var reportedNotifierFailure = false
    /// The exit status, once stopped: 1 when a backup or verification had to be abandoned.
    var exitCode: Int32 = 0
    /// A reload asked for while the stores were read (at start-up or by a reload in progress),
    /// done once they have been.
    var reloadQueued = false
    /// Whether a reload is listing its new stores, off the queue.
    var reloadInProgress = false
    private var lastWorkID = 0
    /// The actions decided during the current event.
    private var actions: [Action] = []

    enum Phase: Sendable, Hashable {
        case created
        /// Reading the stores, off the queue; pinging the watchdog, and listening for signals.
        case loading
        /// Backing up, waiting for the signal sources before telling systemd it is ready.
        case starting
        case running
        /// Cancelling the backups in flight; no new ones start.
        case stopping
        case stopped
    }

    /// A backup started and not yet reported back.
    struct InFlightBackup: Sendable, Hashable {
        var started: ClockReading
        var id: WorkID
        /// Why it runs; a `.storeRetry` takes no backup.
        var reason: Scheduler.RunReason = .scheduled
        /// Whether it has run past `DaemonOptions.backupDeadline` (and was cancelled for it).
        var isOverdue = false
    }

    /// A scheduled verification started and not yet reported back.
    struct InFlightVerification: Sendable, Hashable {
        var started: ClockReading
        var id: WorkID
    }

    /// The machine of a daemon for `configuration` that has not started.
    init(configuration: Configuration, options: DaemonOptions, pid: Int32, now: ClockReading) {
        self.configuration = configuration
        self.options = options
        self.pid = pid
        scheduler = Scheduler(jobs: [], maxConcurrent: 1, now: now, policy: options.policy)
        dumpScheduler = Scheduler(jobs: [], maxConcurrent: 1, now: now, policy: options.policy)
        stateWrites = StateWriteSchedule(interval: options.stateWriteInterval)
        state = DaemonState(pid: pid, started: now.wall, updated: now.wall, configFile: configuration.sourceFile)
    }

    /// Whether no backup, dump or verification is in flight.
    var isIdle: Bool { inFlight.isEmpty && inFlightDumps.isEmpty && verification == nil }

    // MARK: Helpers for the events.

    /// Returns the actions decided so far, and starts afresh.
    mutating func takeActions() -> [Action] {
        defer { actions = [] }
        return actions
    }

    mutating func emit(_ action: Action) {
        actions.append(action)
    }

    /// Logs `message` as an `event` (with its journald `MESSAGE_ID`).
    mutating func log(
        _ event: Event, level: Logger.Level = .info, _ message: String, metadata: Logger.Metadata = [:],
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        emit(
            .log(
                LogLine(
                    level: level, event: event, message: message, metadata: metadata, file: file, function: function,
                    line: line)))
    }

    mutating func log(
        level: Logger.Level = .info, _ message: String, metadata: Logger.Metadata = [:],
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        emit(
            .log(
                LogLine(
                    level: level, event: nil, message: message, metadata: metadata, file: file, function: function,
                    line: line)))
    }

    mutating func nextWorkID() -> WorkID {
        lastWorkID += 1
        return WorkID(value: lastWorkID)
    }

    // MARK: The status line.

    /// The status line as `STATUS=` carries it, as of `now`.
    func statusLine(now: ClockReading) -> String {
        if phase == .stopped { return "stopped" }
        let upcoming = scheduler.upcomingRuns()
        let next = upcoming.first { !$0.isRunning } ?? upcoming.first
        // From the state, for the databases configured (or still finishing after a reload).
        let shown = Set(configuration.databases.map(\.name)).union(inFlight.keys)
        let entries = state.databases.filter { shown.contains($0.name) }
        let failing = entries.filter(\.isFailing).count
        let verifyFailing = entries.filter(\.verificationFailed).map(\.name).sorted()
        return StatusLine(
            databases: configuration.databases.count, running: inFlight.keys.sorted(), last: last,
            next: next.map { StatusLine.NextBackup(name: $0.name, date: $0.date) }, failing: failing,
            reloadFailed: reloadFailed, stopping: phase == .stopping, verifying: verification != nil,
            verifyFailing: verifyFailing
        )
        .text(now: now.wall, timeZone: configuration.timeZone)
    }

    mutating func publishStatus(now: ClockReading) {
        emit(.notify(.status(statusLine(now: now))))
    }

    /// A time for a log line, as the status line shows it.
    func describeTime(_ date: Date, now: ClockReading) -> String {
        StatusLine.time(date, now: now.wall, timeZone: configuration.timeZone)
    }

    func quotedNames(_ names: some Collection<String>) -> String {
        names.sorted().map { "'\($0)'" }.joined(separator: ", ")
    }

    // MARK: Outcomes of actions.

    /// A notification could not be sent: logged once, since the next ones would fail alike.
    mutating func notificationFailed(_ notification: Notification, error: any Error) -> [Action] {
        if !reportedNotifierFailure {
            reportedNotifierFailure = true
            log(level: .warning, "cannot tell systemd \(notification.purpose): \(Daemon.errorText(error))")
        }
        return takeActions()
    }

    /// How writing one of the state files went (`error` nil: it worked): a failure is logged
    /// once until a write to the same file works again.
    mutating func stateFileWritten(_ file: StateFileName, error: (any Error)?) -> [Action] {
        let metadata: Logger.Metadata = [LogKey.path: "\(file.path)"]
        if let error {
            if unwritableStateFiles.insert(file.path).inserted {
                let text = Daemon.errorText(error)
                log(
                    .stateWriteFailed, level: .warning,
                    "cannot write \(file.what) \(file.path): \(text); litesafe status and monitoring see older information until it works",
                    metadata: metadata.merging([LogKey.error: "\(text)"]) { $1 })
            }
        } else if unwritableStateFiles.remove(file.path) != nil {
            log(level: .notice, "\(file.what) \(file.path) is written again", metadata: metadata)
        }
        // The write that follows a backup runs code of its own (JSON, the metrics): an idle
        // daemon gives back what it touched too, not only what the backup did.
        if file.endsWrite { releaseMemoryWhenIdle() }
        return takeActions()
    }
}
