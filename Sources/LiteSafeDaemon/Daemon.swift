import Dispatch
import Foundation
import LiteSafeCore
import Logging

/// The long-running service behind `litesafe run`: backs up the configured databases on their
/// schedules until it is stopped.
///
/// `DaemonStateMachine` decides everything, as a value; this class is the shell that carries its
/// decisions out. It owns one serial queue, on which it feeds the machine its events (a Dispatch
/// timer that sleeps until the next decision, the signal sources: SIGHUP reloads, SIGTERM and
/// SIGINT stop, the watchdog timer, and the reports of finished backups and verifications) and
/// performs the actions the machine returns. Whatever reads or writes a store runs on a thread
/// of its own and reports back there, because it blocks: the backups, the scheduled
/// verification (`verify_schedule`), start-up's leftovers removal and listing, and a reload's
/// listing of new stores. So the watchdog pings, which come from the queue, never wait for a
/// store.
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
    // @unchecked: `machine` and every `var` below are only touched on `queue`.
    let queue = DispatchQueue(label: "litesafe.daemon")
    /// Makes each database's store (from `main`: the one place a backend is chosen).
    let stores: any StoreFactory
    let runner: any BackupRunner
    let notifier: any ServiceNotifier
    let clock: any SchedulerClock
    let logger: Logger
    let loadConfiguration: @Sendable (String) throws -> LoadedConfiguration

    /// Every decision, and the state it is made from.
    var machine: DaemonStateMachine
    // What carrying the decisions out needs: timers, signal sources, and a way to cancel each
    // backup or verification in flight.
    var scheduleTimer: (any DispatchSourceTimer)?
    var watchdogTimer: (any DispatchSourceTimer)?
    var graceTimer: (any DispatchSourceTimer)?
    var signalSources: [any DispatchSourceSignal] = []
    var cancellations: [DaemonStateMachine.WorkID: Cancellation] = [:]
    /// The `reload()` calls waiting for the reload in progress to be over.
    var reloadWaiters: [@Sendable () -> Void] = []
    let stopped = DispatchSemaphore(value: 0)
    /// Signalled when start-up is done or the daemon stopped during it (`start()` waits for it).
    let startupSettled = DispatchSemaphore(value: 0)
    /// Runs on the start-up thread before it reads the stores: tests hold it there, as a slow
    /// or hung store would.
    var storeWorkWillStart: (@Sendable () -> Void)?

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
            try ConfigurationLoader.load(
                path: $0, credentialsDirectory: ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"])
        }
    ) {
        self.stores = stores
        self.runner = runner
        self.notifier = notifier
        self.clock = clock
        self.logger = logger
        self.loadConfiguration = loadConfiguration
        machine = DaemonStateMachine(
            configuration: configuration, options: options, pid: ProcessInfo.processInfo.processIdentifier,
            now: clock.now())
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
        let starting = queue.sync {
            let actions = machine.startRequested(now: clock.now())
            perform(actions)
            return !actions.isEmpty
        }
        guard starting else { return }
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
        queue.sync { feed { $0.timerFired(now: $1) } }
    }

    /// Reads the configuration file again and applies it, or keeps the running one if it is
    /// invalid: what SIGHUP does.
    ///
    /// Returns once the reload is over (the new configuration applied or refused).
    public func reload() {
        let done = DispatchSemaphore(value: 0)
        queue.sync {
            reloadWaiters.append { done.signal() }
            feed { $0.reloadRequested(now: $1) }
        }
        done.wait()
    }

    /// Stops scheduling and cancels the backups in flight; `waitUntilStopped()` returns once they
    /// have ended, or after `DaemonOptions.stopGracePeriod`: what SIGTERM and SIGINT do.
    ///
    /// - Parameter reason: Why, for the log (the signal's name).
    public func stop(reason: String = "requested") {
        queue.sync { feed { $0.stopRequested(reason: reason, now: $1) } }
    }

    /// Pings the watchdog if the daemon is making progress: what the watchdog timer does.
    ///
    /// Returns whether it pinged: not while a backup has run past its deadline.
    @discardableResult
    public func checkWatchdog() -> Bool {
        queue.sync {
            let actions = machine.watchdogFired(now: clock.now())
            perform(actions)
            return actions.contains(.notify(.watchdog))
        }
    }

    /// The status line as `STATUS=` last carried it, or would now.
    public var statusLine: String {
        queue.sync { machine.statusLine(now: clock.now()) }
    }

    /// Blocks until the daemon has stopped; returns its exit status.
    public func waitUntilStopped() -> Int32 {
        stopped.wait()
        stopped.signal()
        return queue.sync { machine.exitCode }
    }

    /// Blocks until the daemon has stopped or `timeout` has passed; returns the exit status, or
    /// nil on timeout.
    public func waitUntilStopped(timeout: Duration) -> Int32? {
        guard stopped.wait(timeout: .now() + DispatchTimeInterval(timeout)) == .success else { return nil }
        stopped.signal()
        return queue.sync { machine.exitCode }
    }

    // MARK: On the queue.

    /// Hands the machine an event, with the clock's reading, and performs what it decides.
    func feed(_ event: (inout DaemonStateMachine, ClockReading) -> [DaemonStateMachine.Action]) {
        perform(event(&machine, clock.now()))
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
