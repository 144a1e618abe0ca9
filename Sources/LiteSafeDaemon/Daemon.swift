import Dispatch
import Foundation
import LiteSafeCore
import Logging

/// The long-running service behind `litesafe run`: backs up the configured databases on their
/// schedules until it is stopped.
///
/// The `Scheduler` decides what runs when; this class carries its decisions out. It owns one
/// serial queue, on which every piece of its state is read and written: a Dispatch timer that
/// sleeps until the next decision, the signal sources (SIGHUP reloads, SIGTERM and SIGINT stop),
/// the watchdog timer and the reports of finished backups and verifications. Whatever reads or
/// writes a store runs on a thread of its own and reports back there, because it blocks: the
/// backups, the scheduled verification (`verify_schedule`), start-up's leftovers removal and
/// listing, and a reload's listing of new stores. So the watchdog pings, which come from the
/// queue, never wait for a store.
///
/// After every change it rewrites its state file (`<state_directory>/state.json`, which
/// `litesafe status` reads) and, if configured, the metrics textfile, batched as
/// `StateWriteSchedule` decides on the injected clock.
///
/// Each thing a timer or signal does is a public one-step method (`tick()`, `reload()`,
/// `stop(reason:)`, `checkWatchdog()`) that tests call directly, with a clock of their own
/// (`ManualSchedulerClock`, in the tests). Call them from outside the daemon's queue (they wait
/// for it).
///
/// Lifecycle: `start()` arms the watchdog and the signal sources, removes what interrupted runs
/// left and reads when each database was last backed up (off the queue), then arms the schedule
/// timer and sends `READY=1` once its signal sources are registered; `run()` is `start()` and
/// then `waitUntilStopped()`.
public final class Daemon: @unchecked Sendable {
    // @unchecked: every `var` below is only touched on `queue`.
    let queue = DispatchQueue(label: "litesafe.daemon")
    /// Makes each database's store (from `main`: the one place a backend is chosen).
    let stores: any StoreFactory
    let runner: any BackupRunner
    let notifier: any ServiceNotifier
    let clock: any SchedulerClock
    let options: DaemonOptions
    let logger: Logger
    let loadConfiguration: @Sendable (String) throws -> LoadedConfiguration

    /// The configuration new backups start under (one in flight keeps the one it started with).
    var configuration: Configuration
    var scheduler: Scheduler
    var phase = Phase.created
    var inFlight: [String: InFlightBackup] = [:]
    var last: StatusLine.LastBackup?
    var reloadFailed = false
    /// What the state file and the metrics say; written by `persistState(now:)`.
    var state: DaemonState
    /// When `state` is next written (batched on `clock`).
    var stateWrites: StateWriteSchedule
    /// The state and metrics files whose latest write failed (logged once each).
    var unwritableStateFiles: Set<String> = []
    /// When `verify_schedule` verifies the stored backups; nil without one.
    var verifyScheduler: Scheduler?
    var verification: InFlightVerification?
    var scheduleTimer: (any DispatchSourceTimer)?
    var watchdogTimer: (any DispatchSourceTimer)?
    var graceTimer: (any DispatchSourceTimer)?
    var signalSources: [any DispatchSourceSignal] = []
    var unregisteredSignals = 0
    var reportedNotifierFailure = false
    var exitCode: Int32 = 0
    /// A reload asked for while the stores were read (at start-up or by a reload in progress),
    /// done once they have been.
    var reloadRequested = false
    /// Whether a reload is listing its new stores, off the queue.
    var reloadInProgress = false
    /// The `reload()` calls waiting for the reload in progress to be over.
    var reloadWaiters: [@Sendable () -> Void] = []
    let stopped = DispatchSemaphore(value: 0)
    /// Signalled when start-up is done or the daemon stopped during it (`start()` waits for it).
    let startupSettled = DispatchSemaphore(value: 0)
    /// Runs on the start-up thread before it reads the stores: tests hold it there, as a slow
    /// or hung store would.
    var storeWorkWillStart: (@Sendable () -> Void)?

    enum Phase {
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
    struct InFlightBackup {
        var started: ClockReading
        let cancellation: Cancellation
        /// Whether it has run past `DaemonOptions.backupDeadline` (and was cancelled for it).
        var isOverdue = false
    }

    /// Creates the daemon for a configuration that has loaded; nothing happens until `start()`.
    ///
    /// - Parameters:
    ///   - loadConfiguration: Reads the file again on reload; `ConfigurationLoader.load(path:)`
    ///     of `configuration.sourceFile` unless a test says otherwise.
    public init(
        configuration: Configuration, stores: any StoreFactory, runner: any BackupRunner = EngineBackupRunner(),
        notifier: any ServiceNotifier, clock: any SchedulerClock = SystemSchedulerClock(),
        options: DaemonOptions = DaemonOptions(), logger: Logger,
        loadConfiguration: @escaping @Sendable (String) throws -> LoadedConfiguration = {
            try ConfigurationLoader.load(path: $0)
        }
    ) {
        self.configuration = configuration
        self.stores = stores
        self.runner = runner
        self.notifier = notifier
        self.clock = clock
        self.options = options
        self.logger = logger
        self.loadConfiguration = loadConfiguration
        let now = clock.now()
        scheduler = Scheduler(jobs: [], maxConcurrent: 1, now: now, policy: options.policy)
        stateWrites = StateWriteSchedule(interval: options.stateWriteInterval)
        state = DaemonState(
            pid: ProcessInfo.processInfo.processIdentifier, started: now.wall, updated: now.wall,
            configFile: configuration.sourceFile)
    }

    deinit {
        for timer in [scheduleTimer, watchdogTimer, graceTimer] { timer?.cancel() }
        for source in signalSources { source.cancel() }
    }

    // MARK: The one-step methods timers and signals call, public for tests.

    /// Starts the daemon and returns at once; the first backups that are due start now.
    ///
    /// The stores are read (start-up's leftovers removed, each database's history listed) on a
    /// thread of their own: however slow they are, the watchdog pings go on and a stop ends the
    /// wait. Returns once start-up is done, or once the daemon has stopped.
    public func start() {
        guard let configuration = queue.sync(execute: { beginStartOnQueue() }) else { return }
        let logger = logger
        let storeWorkWillStart = storeWorkWillStart
        let thread = Thread { [self] in
            storeWorkWillStart?()
            let findings = StartupFindings.gather(for: configuration, stores: stores, logger: logger)
            queue.async { self.finishStartOnQueue(findings) }
        }
        thread.name = "litesafe start-up"
        thread.start()
        startupSettled.wait()
    }

    /// Starts the daemon and blocks until it has stopped; returns the exit status for `main`:
    /// 0 when every backup in flight stopped cleanly, 1 when one had to be abandoned.
    public func run() -> Int32 {
        start()
        return waitUntilStopped()
    }

    /// Starts the backups that are due and sets the timer for the next decision: what the
    /// schedule timer does when it fires.
    public func tick() {
        queue.sync { runDueBackups() }
    }

    /// Reads the configuration file again and applies it, or keeps the running one if it is
    /// invalid: what SIGHUP does.
    ///
    /// Returns once the reload is over (the new configuration applied or refused).
    public func reload() {
        let done = DispatchSemaphore(value: 0)
        queue.sync { reloadOnQueue { done.signal() } }
        done.wait()
    }

    /// Stops scheduling and cancels the backups in flight; `waitUntilStopped()` returns once they
    /// have ended, or after `DaemonOptions.stopGracePeriod`: what SIGTERM and SIGINT do.
    ///
    /// - Parameter reason: Why, for the log (the signal's name).
    public func stop(reason: String = "requested") {
        queue.sync { stopOnQueue(reason: reason) }
    }

    /// Pings the watchdog if the daemon is making progress: what the watchdog timer does.
    ///
    /// Returns whether it pinged: not while a backup has run past its deadline.
    @discardableResult
    public func checkWatchdog() -> Bool {
        queue.sync { checkWatchdogOnQueue() }
    }

    /// The status line as `STATUS=` last carried it, or would now.
    public var statusLine: String {
        queue.sync { currentStatus() }
    }

    /// Blocks until the daemon has stopped; returns its exit status.
    public func waitUntilStopped() -> Int32 {
        stopped.wait()
        stopped.signal()
        return queue.sync { exitCode }
    }

    /// Blocks until the daemon has stopped or `timeout` has passed; returns the exit status, or
    /// nil on timeout.
    public func waitUntilStopped(timeout: Duration) -> Int32? {
        guard stopped.wait(timeout: .now() + DispatchTimeInterval(timeout)) == .success else { return nil }
        stopped.signal()
        return queue.sync { exitCode }
    }

    // MARK: On the queue.

    /// The first half of `start()`, on the queue: arms the watchdog and the signal sources, so
    /// that pings go on and a stop is heard while the stores are read; returns the configuration
    /// to read them for, or nil if the daemon had already started.
    func beginStartOnQueue() -> Configuration? {
        guard phase == .created else { return nil }
        let count = configuration.databases.count
        logger.log(
            .daemonStarted,
            "litesafe \(LiteSafeVersion.current) started: \(count) \(count == 1 ? "database" : "databases") from \(configuration.sourceFile)",
            metadata: [LogKey.path: "\(configuration.sourceFile)"])
        SQLiteInfo.warnAboutWALResetBug(logger: logger)
        phase = .loading
        startWatchdogTimer()
        installSignalSources()
        return configuration
    }

    /// The second half of `start()`, on the queue, once `StartupFindings` were gathered off it:
    /// schedules from them, starts what is due and tells systemd it is ready.
    func finishStartOnQueue(_ findings: StartupFindings) {
        defer { startupSettled.signal() }
        guard phase == .loading else { return }  // Stopped meanwhile.
        last = findings.history.newest
        let now = clock.now()
        loadState(findings, now: now)
        scheduler = Scheduler(
            jobs: configuration.scheduledJobs, maxConcurrent: configuration.maxConcurrentBackups,
            lastRuns: findings.history.lastRuns, now: now, policy: options.policy)
        verifyScheduler = makeVerifyScheduler(now: now, lastRun: state.verification?.lastStart)
        phase = .starting
        scheduleTimer = makeTimer { [weak self] in self?.runDueBackups() }
        // Without signal sources `READY=1` is the first message, as it always was; with them,
        // it follows the first decision (their registration used to come after it).
        if options.signals.isEmpty { becomeReady() }
        runDueBackups()
        becomeReady()
        if reloadRequested {
            reloadRequested = false
            reloadOnQueue()
        }
    }

    /// Tells systemd start-up is done: the configuration is loaded, the timers are armed and
    /// the signal sources are registered (so a reload sent after `READY=1` is not lost).
    func becomeReady() {
        guard phase == .starting, unregisteredSignals == 0 else { return }
        phase = .running
        notify("that start-up finished") { try $0.ready(status: currentStatus()) }
    }

    /// Starts what the scheduler says is due (backups and the scheduled verification), sets the
    /// timer for its next decision and writes the state if it changed.
    func runDueBackups() {
        guard phase == .starting || phase == .running else { return }
        let now = clock.now()
        enforceDeadlines(now: now)
        let decision = scheduler.decide(now: now)
        if let step = decision.clockStep {
            // Next-run times moved with the wall clock, and a state written before a forward
            // step would look stale to `litesafe status`: write it again now.
            stateWrites.markChanged(urgent: true)
            let size = formatDuration(step < .zero ? .zero - step : step)
            logger.log(
                .clockStepped, level: .notice,
                "the wall clock was set \(step < .zero ? "back" : "forward") by about \(size); cron schedules follow it"
            )
        }
        for run in decision.runs { startBackup(run, now: now) }
        if !decision.runs.isEmpty { stateWrites.markChanged() }
        let verifySleep = runDueVerification(now: now)
        let stateSleep = persistStateIfNeeded(now: now)
        let sleep = [decision.sleep, verifySleep, stateSleep].compactMap { $0 }.min() ?? decision.sleep
        scheduleTimer?.schedule(deadline: .now() + DispatchTimeInterval(sleep))
        publishStatus()
    }

    // MARK: Helpers on the queue.

    func currentStatus() -> String {
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
        .text(now: clock.now().wall, timeZone: configuration.timeZone)
    }

    func publishStatus() {
        let line = currentStatus()
        notify("the status") { try $0.status(line) }
    }

    /// Sends a notification; a failure is logged once, since the next ones would fail alike.
    func notify(_ what: String, _ send: (any ServiceNotifier) throws -> Void) {
        do {
            try send(notifier)
        } catch {
            guard !reportedNotifierFailure else { return }
            reportedNotifierFailure = true
            logger.warning("cannot tell systemd \(what): \(error)")
        }
    }

    /// A time for a log line, as the status line shows it.
    func describeTime(_ date: Date) -> String {
        StatusLine.time(date, now: clock.now().wall, timeZone: configuration.timeZone)
    }

    /// A timer on the daemon's queue that fires once it is given a deadline.
    func makeTimer(_ handler: @escaping @Sendable () -> Void) -> any DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler(handler: handler)
        timer.schedule(deadline: .distantFuture)
        timer.resume()
        return timer
    }
}

extension DispatchTimeInterval {
    /// `duration` for Dispatch, at least zero and at most a day (the daemon never sleeps longer).
    init(_ duration: Duration) {
        let clamped = min(max(duration, .zero), .seconds(86_400))
        let (seconds, attoseconds) = clamped.components
        self = .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
