import Foundation
import LiteSafeCore
import Logging

extension DaemonStateMachine {
    /// `start()` was called: arms the watchdog and the signal sources, so that pings go on and a
    /// stop is heard while the stores are read, then reads them; nothing if it had started.
    mutating func startRequested(now: ClockReading) -> [Action] {
        guard phase == .created else { return [] }
        let count = configuration.databases.count
        log(
            .daemonStarted,
            "litesafe \(LiteSafeVersion.current) started: \(count) \(count == 1 ? "database" : "databases") from \(configuration.sourceFile)",
            metadata: [LogKey.path: "\(configuration.sourceFile)"])
        emit(.warnAboutSQLite)
        phase = .loading
        if let interval = options.watchdogInterval, interval > .zero {
            // sd_watchdog_enabled(3) advises pinging at half the interval.
            emit(.armWatchdog(every: interval / 2))
        }
        unregisteredSignals = options.signals.count
        if !options.signals.isEmpty { emit(.installSignalSources(options.signals)) }
        emit(.readStoresAtStartup(configuration))
        return takeActions()
    }

    /// Start-up's reading of the stores is done: schedules from what they hold, starts what is
    /// due and tells systemd it is ready; nothing if the daemon stopped meanwhile.
    mutating func startupRead(_ findings: Daemon.StartupFindings, now: ClockReading) -> [Action] {
        guard phase == .loading else { return [] }
        last = findings.history.newest
        loadState(findings, now: now)
        scheduler = Scheduler(
            jobs: configuration.scheduledJobs, maxConcurrent: configuration.maxConcurrentBackups,
            lastRuns: findings.history.lastRuns, now: now, policy: options.policy)
        dumpScheduler = Scheduler(
            jobs: configuration.scheduledDumpJobs, maxConcurrent: configuration.maxConcurrentBackups,
            lastRuns: findings.history.lastDumps, now: now, policy: options.policy)
        verifyScheduler = makeVerifyScheduler(now: now, lastRun: state.verification?.lastStart)
        phase = .starting
        // Without signal sources `READY=1` is the first message, as it always was; with them,
        // it follows the first decision (their registration used to come after it).
        if options.signals.isEmpty { becomeReady(now: now) }
        runDueWork(now: now)
        becomeReady(now: now)
        if reloadQueued {
            reloadQueued = false
            beginReload(now: now)
        }
        return takeActions()
    }

    /// A signal source is registered: once all are, a reload sent after `READY=1` is not lost.
    mutating func signalSourceRegistered(now: ClockReading) -> [Action] {
        unregisteredSignals -= 1
        if unregisteredSignals == 0 { becomeReady(now: now) }
        return takeActions()
    }

    /// Tells systemd start-up is done: the configuration is loaded, the timers are armed and
    /// the signal sources are registered.
    mutating func becomeReady(now: ClockReading) {
        guard phase == .starting, unregisteredSignals == 0 else { return }
        phase = .running
        emit(.notify(.ready(status: statusLine(now: now))))
    }
}

extension DaemonStateMachine {
    /// A signal came: SIGHUP reloads, SIGTERM and SIGINT stop.
    mutating func signalReceived(_ signal: DaemonSignal, now: ClockReading) -> [Action] {
        if signal.stops { return stopRequested(reason: signal.name, now: now) }
        log("\(signal.name): reloading \(configuration.sourceFile)")
        beginReload(now: now)
        return takeActions()
    }
}
