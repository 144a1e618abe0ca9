import Dispatch
import Foundation
import LiteSafeCore
import LiteSafePresentation
import Logging

extension Daemon {
    /// Carries out the machine's actions, in order, on the queue.
    func perform(_ actions: [DaemonStateMachine.Action]) {
        for action in actions { perform(action) }
    }

    func perform(_ action: DaemonStateMachine.Action) {
        switch action {
        case .log(let line):
            log(line)
        case .notify(let notification):
            send(notification)
        case .warnAboutSQLite:
            SQLiteInfo.warnAboutWALResetBug(logger: logger)
        case .armWatchdog(let interval):
            let timer = makeTimer { [weak self] in self?.feed { $0.watchdogFired(now: $1) } }
            timer.schedule(
                deadline: .now() + DispatchTimeInterval(interval), repeating: DispatchTimeInterval(interval))
            watchdogTimer = timer
        case .installSignalSources(let signals):
            installSignalSources(signals)
        case .readStoresAtStartup(let configuration):
            readStoresAtStartup(configuration)
        case .armScheduleTimer(let delay):
            let timer = scheduleTimer ?? makeTimer { [weak self] in self?.feed { $0.timerFired(now: $1) } }
            timer.schedule(deadline: .now() + DispatchTimeInterval(delay))
            scheduleTimer = timer
        case .cancelScheduleTimer:
            scheduleTimer?.cancel()
        case .armGraceTimer(let delay):
            let timer = makeTimer { [weak self] in self?.feed { $0.graceExpired(now: $1) } }
            timer.schedule(deadline: .now() + DispatchTimeInterval(delay))
            graceTimer = timer
        case .startBackup(let start):
            startBackup(start)
        case .startVerification(let start):
            startVerification(start)
        case .cancel(let id):
            cancellations[id]?.cancel()
        case .loadConfiguration(let path):
            let result = Result { try loadConfiguration(path) }
            feed { $0.configurationLoaded(result, now: $1) }
        case .readStoresForReload(let listing):
            readStoresForReload(listing)
        case .writeState(let write):
            writeState(write)
        case .releaseMemory:
            ProcessMemory.releaseFreedMemory()
        case .stopTimersAndSignals:
            for source in [scheduleTimer, watchdogTimer, graceTimer] { source?.cancel() }
            for source in signalSources { source.cancel() }
            signalSources = []
        case .exit:
            stopped.signal()
            startupSettled.signal()
        case .releaseReloadWaiters:
            let waiters = reloadWaiters
            reloadWaiters = []
            for waiter in waiters { waiter() }
        }
    }

    func log(_ line: DaemonStateMachine.LogLine) {
        let message = Logger.Message(stringLiteral: line.message)
        if let event = line.event {
            logger.log(
                event, level: line.level, message, metadata: line.metadata, file: line.file, function: line.function,
                line: line.line)
        } else {
            logger.log(
                level: line.level, message, metadata: line.metadata, file: line.file, function: line.function,
                line: line.line)
        }
    }

    /// Tells systemd; a failure goes back to the machine, which logs it once.
    func send(_ notification: DaemonStateMachine.Notification) {
        do {
            switch notification {
            case .ready(let status), .reloaded(let status): try notifier.ready(status: status)
            case .reloading: try notifier.reloading()
            case .stopping: try notifier.stopping()
            case .status(let line): try notifier.status(line)
            case .watchdog: try notifier.watchdog()
            case .extendTimeout(let duration): try notifier.extendTimeout(duration)
            }
        } catch {
            feed { machine, _ in machine.notificationFailed(notification, error: error) }
        }
    }

    /// Creates a Dispatch source for each signal; each reports its registration to the machine
    /// (`READY=1` waits for all of them).
    ///
    /// The signals must already be blocked in every thread (`DaemonSignal.block`, from `main`):
    /// on Linux the sources read them through signalfd(2).
    func installSignalSources(_ signals: [DaemonSignal]) {
        for signal in signals {
            let source = DispatchSource.makeSignalSource(signal: signal.number, queue: queue)
            source.setEventHandler { [weak self] in self?.feed { $0.signalReceived(signal, now: $1) } }
            source.setRegistrationHandler { [weak self] in self?.feed { $0.signalSourceRegistered(now: $1) } }
            source.resume()
            signalSources.append(source)
        }
    }

    /// Reads the stores for start-up on a thread of its own, and reports back on the queue.
    func readStoresAtStartup(_ configuration: Configuration) {
        let logger = logger
        let storeWorkWillStart = storeWorkWillStart
        let thread = Thread { [self] in
            storeWorkWillStart?()
            let findings = StartupFindings.gather(for: configuration, stores: stores, logger: logger)
            queue.async {
                self.feed { $0.startupRead(findings, now: $1) }
                self.startupSettled.signal()
            }
        }
        thread.name = "litesafe start-up"
        thread.start()
    }

    /// Runs a backup on a thread of its own, under the configuration it started with; the
    /// thread reports back on the daemon's queue.
    func startBackup(_ start: DaemonStateMachine.BackupStart) {
        // A stop (or a deadline) cancels the work and, through its stores, the requests under way.
        let cancellation = Cancellation()
        var made =
            start.kind == .dump
            ? start.configuration.dumpJob(for: start.database, stores: stores, cancellation: cancellation)
            : start.configuration.backupJob(for: start.database, stores: stores, cancellation: cancellation)
        made.removesLeftovers = start.removesLeftovers
        let job = made
        cancellations[start.id] = cancellation
        let runner = runner
        let logger = logger
        let name = start.run.name
        let thread = Thread { [self] in
            let result = Result {
                start.run.reason == .storeRetry
                    ? try runner.catchUpStores(job, cancellation: cancellation, logger: logger)
                    : try runner.backUp(job, cancellation: cancellation, logger: logger)
            }
            queue.async {
                self.cancellations[start.id] = nil
                if start.kind == .dump {
                    self.feed { $0.dumpFinished(name, id: start.id, result: result, now: $1) }
                } else {
                    self.feed { $0.backupFinished(name, id: start.id, result: result, now: $1) }
                }
            }
        }
        let work = start.kind == .dump ? "dump" : start.run.reason == .storeRetry ? "stores" : "backup"
        thread.name = "litesafe \(work) \(name)"
        thread.start()
    }

    /// Verifies every configured database's backups on a thread of its own (it reads every
    /// stored byte, or restores every backup), reporting back on the daemon's queue.
    func startVerification(_ start: DaemonStateMachine.VerificationStart) {
        let cancellation = Cancellation()
        cancellations[start.id] = cancellation
        let logger = logger
        let thread = Thread { [self] in
            let result = Result {
                try Verifier(errorWording: .advising).verifyAll(
                    start.databases, stores: stores, identityFile: start.identityFile, scratch: start.scratch,
                    cancellation: cancellation, logger: logger)
            }
            queue.async {
                self.cancellations[start.id] = nil
                self.feed { $0.verificationFinished(id: start.id, result: result, now: $1) }
            }
        }
        thread.name = "litesafe verify"
        thread.start()
    }

    /// Lists the stores a reload adds or moves on a thread of its own; reports back on the queue.
    func readStoresForReload(_ listing: DaemonStateMachine.ReloadListing) {
        let logger = logger
        let thread = Thread { [self] in
            if listing.makeStateDirectory { Self.makeStateDirectory(of: listing.configuration, logger: logger) }
            var history = Self.readHistory(of: listing.databases, stores: stores, logger: logger)
            for name in listing.newSource { history.lastRuns[name] = nil }
            let found = history
            queue.async { self.feed { $0.reloadStoresRead(listing, history: found, now: $1) } }
        }
        thread.name = "litesafe reload"
        thread.start()
    }

    /// Writes the state file and the metrics textfile, telling the machine how each went.
    func writeState(_ write: DaemonStateMachine.StateWrite) {
        let file = StateFile(directory: write.stateDirectory)
        self.write(.init(what: "the state file", path: file.path, endsWrite: write.metricsTextfile == nil)) {
            try file.write(write.state)
        }
        if let path = write.metricsTextfile {
            self.write(.init(what: "the metrics textfile", path: path)) {
                try MetricsFile(path: path).write(write.state)
            }
        }
    }

    private func write(_ name: DaemonStateMachine.StateFileName, _ body: () throws -> Void) {
        do {
            try body()
            feed { machine, _ in machine.stateFileWritten(name, error: nil) }
        } catch {
            feed { machine, _ in machine.stateFileWritten(name, error: error) }
        }
    }
}
