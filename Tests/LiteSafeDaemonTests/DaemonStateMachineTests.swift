import Foundation
import LiteSafeCore
import Logging
import Testing

@testable import LiteSafeDaemon

/// The daemon's decisions, driven directly: events in, actions out, on a manual clock. No
/// threads, no timers, no waiting.
@Suite("DaemonStateMachine: the daemon's decisions")
struct DaemonStateMachineTests {
    typealias Action = DaemonStateMachine.Action

    static let path = "/etc/litesafe/litesafe.yml"

    static func configuration(
        _ names: [String], schedule: Schedule = .every(.seconds(3_600)), maxConcurrent: Int = 1,
        verifySchedule: Schedule? = nil
    ) -> Configuration {
        Configuration(
            maxConcurrentBackups: maxConcurrent, stateDirectory: "/var/lib/litesafe", verifySchedule: verifySchedule,
            databases: names.map {
                Configuration.Database(
                    name: $0, path: "/srv/\($0).db", store: .directory("/backups"), schedule: schedule,
                    encryption: .none)
            }, sourceFile: path)
    }

    /// A machine and the clock its events are read from.
    struct Machine {
        let clock = ManualSchedulerClock(wall: date("2026-11-26T12:00:00Z"))
        var machine: DaemonStateMachine

        init(_ configuration: Configuration, options: DaemonOptions = DaemonOptions()) {
            machine = DaemonStateMachine(configuration: configuration, options: options, pid: 42, now: clock.now())
        }

        /// Starts it as `Daemon.start()` does, with what start-up read from the stores.
        mutating func start(history: Daemon.History = Daemon.History(), previous: DaemonState? = nil) -> [Action] {
            let first = machine.startRequested(now: clock.now())
            #expect(first.contains(.readStoresAtStartup(machine.configuration)))
            return machine.startupRead(
                Daemon.StartupFindings(history: history, previousState: previous), now: clock.now())
        }

        mutating func finish(_ name: String, _ result: Result<BackupSummary, any Error>) -> [Action] {
            let id = machine.inFlight[name]!.id
            return machine.backupFinished(name, id: id, result: result, now: clock.now())
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "the disk is on fire" }
    }

    @Test("start-up: READY=1 with the status, the due backup started, the state written, the timer armed")
    func startStartsTheDueBackup() throws {
        var daemon = Machine(Self.configuration(["app"]))
        let actions = daemon.start()
        #expect(
            actions.notifications == [
                .ready(status: "1 database · last: none · next: app 12:00:00 · 0 failing"),
                .status("1 database · backing up: app · last: none · next: app 13:00:00 · 0 failing"),
            ])
        let started = try #require(actions.backupsStarted.first)
        #expect(actions.backupsStarted.count == 1)
        #expect(started.run == Scheduler.Run(name: "app", reason: .catchUp, attempt: 1))
        #expect(started.database == Self.configuration(["app"]).databases[0])
        #expect(actions.stateWrites.map { $0.state.databases.map(\.running) } == [[true]])
        #expect(actions.timers == [.seconds(60)], "the scheduler's longest sleep")
        #expect(daemon.machine.phase == .running)
    }

    @Test("a database backed up within its interval waits for its next time")
    func recentBackupWaits() {
        var daemon = Machine(Self.configuration(["app"]))
        var history = Daemon.History()
        history.lastRuns["app"] = daemon.clock.now().wall.addingTimeInterval(-600)
        let actions = daemon.start(history: history)
        #expect(actions.backupsStarted.isEmpty)
        #expect(daemon.machine.scheduler.nextDue(for: "app") == date("2026-11-26T12:50:00Z"))
    }

    @Test("with signal sources, READY=1 waits until every one is registered")
    func readyWaitsForSignalSources() {
        var daemon = Machine(Self.configuration(["app"]), options: DaemonOptions(signals: [.hangUp, .terminate]))
        let first = daemon.machine.startRequested(now: daemon.clock.now())
        #expect(first.contains(.installSignalSources([.hangUp, .terminate])))
        let read = daemon.machine.startupRead(
            Daemon.StartupFindings(history: Daemon.History()), now: daemon.clock.now())
        #expect(read.backupsStarted.count == 1)
        #expect(!read.notifications.contains { if case .ready = $0 { true } else { false } })
        #expect(daemon.machine.signalSourceRegistered(now: daemon.clock.now()).isEmpty)
        #expect(
            daemon.machine.signalSourceRegistered(now: daemon.clock.now()).notifications == [
                .ready(status: "1 database · backing up: app · last: none · next: app 13:00:00 · 0 failing")
            ])
    }

    @Test("a failed backup is logged, recorded and retried after the policy's delay, not before")
    func failureIsRetriedPerPolicy() throws {
        var daemon = Machine(Self.configuration(["app"]))
        _ = daemon.start()
        let failed = daemon.finish("app", .failure(Failure()))
        #expect(
            failed.logs.map(\.message) == [
                "backup of 'app' failed: the disk is on fire",
                "the backup of 'app' will be retried at 12:00:30 (in 30s, attempt 2)",
            ])
        #expect(failed.logs.map(\.event) == [.backupFailed, .backupRetry])
        #expect(failed.logs.first?.metadata[LogKey.error] == "the disk is on fire")
        #expect(daemon.machine.state.database(named: "app")?.lastFailure?.reason == "the disk is on fire")
        #expect(daemon.machine.state.database(named: "app")?.consecutiveFailures == 1)
        #expect(failed.contains(.releaseMemory))
        #expect(
            failed.notifications.last
                == .status("1 database · last: app failed 12:00:00 · next: app 12:00:30 · 1 failing"))

        daemon.clock.advance(by: .seconds(29))
        #expect(daemon.machine.timerFired(now: daemon.clock.now()).backupsStarted.isEmpty)
        daemon.clock.advance(by: .seconds(1))
        let retried = daemon.machine.timerFired(now: daemon.clock.now())
        #expect(retried.backupsStarted.map(\.run) == [Scheduler.Run(name: "app", reason: .retry, attempt: 2)])
        #expect(retried.logs.map(\.message) == ["retrying the backup of 'app' (attempt 2)"])
    }

    @Test("a success records the backup and schedules the next one an interval after its start")
    func successIsRecorded() {
        var daemon = Machine(Self.configuration(["app"]))
        _ = daemon.start()
        daemon.clock.advance(by: .seconds(5))
        let done = daemon.finish("app", .success(BackupSummary(storedSize: 4_100_000, file: "app.sqlite", retained: 3)))
        let entry = daemon.machine.state.database(named: "app")
        #expect(entry?.lastSuccess?.file == "app.sqlite")
        #expect(entry?.lastSuccess?.durationSeconds == 5)
        #expect(entry?.retained == 3)
        #expect(
            done.notifications.last
                == .status("1 database · last: app ok 12:00:00 (4.1 MB) · next: app 13:00:00 · 0 failing"))
    }

    @Test("a backup that missed one of several stores records each store's result, and the next one clears it")
    func storeResultsAreRecorded() {
        var daemon = Machine(Self.configuration(["app"]))
        _ = daemon.start()
        daemon.clock.advance(by: .seconds(5))
        _ = daemon.finish(
            "app",
            .success(
                BackupSummary(
                    storedSize: 1, stores: ["local", "offsite"], failedStores: ["offsite": "S3 got no answer"])))
        var entry = daemon.machine.state.database(named: "app")
        #expect(entry?.consecutiveFailures == 0)
        #expect(entry?.storeFailing == true)
        #expect(entry?.stores?.map(\.name) == ["local", "offsite"])
        #expect(entry?.stores?[0].lastSuccess != nil)
        #expect(entry?.stores?[1].lastSuccess == nil)
        #expect(entry?.stores?[1].lastFailure?.reason == "S3 got no answer")
        #expect(entry?.stores?[1].consecutiveFailures == 1)
        daemon.clock.advance(by: .seconds(3_600))
        _ = daemon.machine.timerFired(now: daemon.clock.now())
        _ = daemon.finish("app", .success(BackupSummary(storedSize: 1, stores: ["local", "offsite"])))
        entry = daemon.machine.state.database(named: "app")
        #expect(entry?.storeFailing == false)
        #expect(entry?.stores?[1].lastSuccess != nil)
        #expect(entry?.stores?[1].lastFailure?.reason == "S3 got no answer")
    }

    @Test("at most max_concurrent_backups start; the next starts when one finishes")
    func concurrencyLimit() {
        var daemon = Machine(Self.configuration(["a", "b", "c"], maxConcurrent: 2))
        #expect(daemon.start().backupsStarted.map(\.run.name) == ["a", "b"])
        #expect(daemon.machine.timerFired(now: daemon.clock.now()).backupsStarted.isEmpty)
        #expect(daemon.finish("a", .success(BackupSummary(storedSize: 1))).backupsStarted.map(\.run.name) == ["c"])
    }

    @Test("a report of a backup that is not the one in flight changes nothing")
    func staleReportIsIgnored() {
        var daemon = Machine(Self.configuration(["app"]))
        _ = daemon.start()
        let before = daemon.machine.inFlight
        let stale = DaemonStateMachine.WorkID(value: 999)
        #expect(
            daemon.machine.backupFinished("app", id: stale, result: .failure(Failure()), now: daemon.clock.now())
                .isEmpty)
        #expect(daemon.machine.inFlight == before)
    }

    @Test("results are written at most once per interval of the injected clock; the timer waits for the rest")
    func stateWritesAreBatched() {
        var daemon = Machine(Self.configuration(["a", "b"], maxConcurrent: 2))
        #expect(daemon.start().stateWrites.count == 1)
        daemon.clock.advance(by: .milliseconds(400))
        let first = daemon.finish("a", .success(BackupSummary(storedSize: 1)))
        #expect(first.stateWrites.isEmpty)
        #expect(first.timers == [.milliseconds(600)])
        daemon.clock.advance(by: .milliseconds(100))
        let second = daemon.finish("b", .success(BackupSummary(storedSize: 1)))
        #expect(second.stateWrites.isEmpty)
        #expect(second.timers == [.milliseconds(500)])

        daemon.clock.advance(by: .milliseconds(500))
        let due = daemon.machine.timerFired(now: daemon.clock.now())
        let written = due.stateWrites.map { $0.state.databases.map { $0.lastSuccess != nil } }
        #expect(written == [[true, true]], "both results in one write")
        #expect(due.timers == [.seconds(60)])
    }

    @Test("a wall-clock step is logged, the state written at once, and cron times follow the clock")
    func clockStepReschedules() throws {
        let cron = Schedule.cron(try CronExpression(parsing: "0 * * * *"))
        var daemon = Machine(Self.configuration(["app"], schedule: cron))
        var history = Daemon.History()
        history.lastRuns["app"] = daemon.clock.now().wall
        #expect(daemon.start(history: history).timers == [.seconds(60)], "the scheduler's longest sleep")
        #expect(daemon.machine.scheduler.nextDue(for: "app") == date("2026-11-26T13:00:00Z"))

        // Within the batching interval of the start-up write, yet written at once.
        daemon.clock.stepWall(by: .seconds(-3 * 3_600))
        let stepped = daemon.machine.timerFired(now: daemon.clock.now())
        #expect(
            stepped.logs.map(\.message) == ["the wall clock was set back by about 3h; cron schedules follow it"])
        #expect(stepped.logs.map(\.event) == [.clockStepped])
        #expect(stepped.stateWrites.count == 1)
        #expect(stepped.stateWrites.first?.state.database(named: "app")?.nextRun == date("2026-11-26T10:00:00Z"))
        #expect(daemon.machine.scheduler.nextDue(for: "app") == date("2026-11-26T10:00:00Z"))
    }

    @Test("stop while a backup runs: cancel it, extend the timeout, and exit 0 once it has ended")
    func stopWaitsForTheBackup() throws {
        var daemon = Machine(Self.configuration(["app"]))
        let id = try #require(daemon.start().backupsStarted.first?.id)
        let stopping = daemon.machine.stopRequested(reason: "SIGTERM", now: daemon.clock.now())
        #expect(
            stopping == [
                .notify(.stopping), .cancelScheduleTimer,
                .log(line(.daemonStopping, "stopping (SIGTERM); cancelling the backup of 'app'")), .cancel(id),
                .notify(.status("stopping · cancelling: app")), .notify(.extendTimeout(.seconds(25))),
                .armGraceTimer(after: .seconds(20)),
            ])
        #expect(daemon.machine.timerFired(now: daemon.clock.now()).isEmpty, "nothing starts while stopping")

        let ended = daemon.finish("app", .failure(BackupError.cancelled(database: "app")))
        #expect(ended.logs.map(\.event) == [.backupCancelled, .daemonStopped])
        #expect(ended.stateWrites.first?.state.stopped == daemon.clock.now().wall)
        #expect(ended.contains(.exit(code: 0)))
        #expect(ended.last == .releaseReloadWaiters)
        #expect(daemon.machine.exitCode == 0)
        #expect(daemon.machine.statusLine(now: daemon.clock.now()) == "stopped")
    }

    @Test("a backup that does not stop within the grace period, or a second stop, exits 1 without it")
    func abandonAfterGraceOrSecondStop() {
        for second in [false, true] {
            var daemon = Machine(Self.configuration(["app"]))
            _ = daemon.start()
            _ = daemon.machine.stopRequested(reason: "SIGINT", now: daemon.clock.now())
            let actions =
                second
                ? daemon.machine.stopRequested(reason: "SIGINT", now: daemon.clock.now())
                : daemon.machine.graceExpired(now: daemon.clock.now())
            #expect(actions.contains(.exit(code: 1)))
            #expect(
                actions.logs.first?.message
                    == (second
                        ? "SIGINT again: exiting without waiting for the backup of 'app'"
                        : "the backup of 'app' did not stop within 20s of being cancelled; exiting without it (the next run removes what it leaves)")
            )
            #expect(daemon.machine.stopRequested(reason: "SIGINT", now: daemon.clock.now()).isEmpty)
        }
    }

    @Test("stop with nothing in flight exits 0 at once; during start-up it writes no state")
    func idleStop() {
        var daemon = Machine(Self.configuration(["app"]))
        _ = daemon.machine.startRequested(now: daemon.clock.now())
        let actions = daemon.machine.stopRequested(reason: "SIGTERM", now: daemon.clock.now())
        #expect(actions.contains(.exit(code: 0)))
        #expect(actions.stateWrites.isEmpty)
        #expect(!actions.contains { if case .armGraceTimer = $0 { true } else { false } })
        // The stores' answer comes after all: nothing starts.
        let late = daemon.machine.startupRead(
            Daemon.StartupFindings(history: Daemon.History()), now: daemon.clock.now())
        #expect(late.isEmpty)
    }

    @Test("reload with a new database: RELOADING=1, load, list its store off the queue, then back it up")
    func reloadListsAndBacksUpTheNewDatabase() throws {
        var daemon = Machine(Self.configuration(["app"]))
        _ = daemon.start()
        _ = daemon.finish("app", .success(BackupSummary(storedSize: 1)))

        #expect(
            daemon.machine.reloadRequested(now: daemon.clock.now()) == [
                .notify(.reloading), .loadConfiguration(path: Self.path),
            ])
        let new = Self.configuration(["app", "crm"])
        let loaded = daemon.machine.configurationLoaded(
            .success(LoadedConfiguration(configuration: new)), now: daemon.clock.now())
        let listing = DaemonStateMachine.ReloadListing(
            configuration: new, path: Self.path, databases: [new.databases[1]], relocated: [], newSource: [],
            makeStateDirectory: false)
        #expect(loaded == [.readStoresForReload(listing)])
        // Another SIGHUP while the stores are listed follows once they are.
        #expect(daemon.machine.reloadRequested(now: daemon.clock.now()).isEmpty)

        let applied = daemon.machine.reloadStoresRead(listing, history: Daemon.History(), now: daemon.clock.now())
        #expect(
            applied.logs.first
                == line(.reloadSucceeded, "reloaded \(Self.path): added crm", [LogKey.path: "\(Self.path)"]))
        #expect(applied.backupsStarted.map(\.run.name) == ["crm"])
        #expect(applied.stateWrites.count == 1, "a reload is written at once")
        #expect(applied.notifications.contains { if case .reloaded = $0 { true } else { false } })
        #expect(Array(applied.suffix(2)) == [.notify(.reloading), .loadConfiguration(path: Self.path)])
        #expect(!applied.contains(.releaseReloadWaiters))
    }

    @Test("a refused reload keeps the configuration, says so in the status, and releases the waiters")
    func refusedReload() {
        var daemon = Machine(Self.configuration(["app"]))
        _ = daemon.start()
        _ = daemon.machine.reloadRequested(now: daemon.clock.now())
        let refused = daemon.machine.configurationLoaded(.failure(Failure()), now: daemon.clock.now())
        #expect(
            refused.logs == [
                line(
                    .reloadFailed,
                    "reload of \(Self.path) refused, still running the previous configuration; the disk is on fire",
                    [LogKey.path: "\(Self.path)", LogKey.error: "the disk is on fire"], level: .error)
            ])
        #expect(
            refused.notifications.last.map {
                if case .reloaded(let s) = $0 { s.hasSuffix("reload failed: see journal") } else { false }
            } == true)
        #expect(refused.last == .releaseReloadWaiters)
        #expect(daemon.machine.configuration == Self.configuration(["app"]))
    }

    @Test("a reload asked for during start-up's reading of the stores follows it")
    func reloadDuringStartUp() {
        var daemon = Machine(Self.configuration(["app"]))
        _ = daemon.machine.startRequested(now: daemon.clock.now())
        #expect(daemon.machine.reloadRequested(now: daemon.clock.now()).isEmpty)
        #expect(daemon.machine.reloadQueued)
        let read = daemon.machine.startupRead(
            Daemon.StartupFindings(history: Daemon.History()), now: daemon.clock.now())
        #expect(Array(read.suffix(2)) == [.notify(.reloading), .loadConfiguration(path: Self.path)])
    }

    @Test("the watchdog is pinged until a backup runs past its deadline; then it is cancelled, once")
    func watchdogAndDeadline() throws {
        var daemon = Machine(Self.configuration(["app"]), options: DaemonOptions(backupDeadline: .seconds(60)))
        let id = try #require(daemon.start().backupsStarted.first?.id)
        daemon.clock.advance(by: .seconds(59))
        #expect(daemon.machine.watchdogFired(now: daemon.clock.now()) == [.notify(.watchdog)])
        daemon.clock.advance(by: .seconds(1))
        let overdue = daemon.machine.watchdogFired(now: daemon.clock.now())
        #expect(overdue.first == .cancel(id))
        #expect(overdue.logs.map(\.event) == [.backupFailed])
        #expect(daemon.machine.watchdogFired(now: daemon.clock.now()).isEmpty, "no ping, no second cancel")
        _ = daemon.finish("app", .failure(BackupError.cancelled(database: "app")))
        #expect(daemon.machine.watchdogFired(now: daemon.clock.now()) == [.notify(.watchdog)])
    }

    @Test("verify_schedule: the verification starts when due and its verdicts are recorded at once")
    func scheduledVerification() throws {
        var daemon = Machine(Self.configuration(["app"], verifySchedule: .every(.seconds(3_600))))
        _ = daemon.start()
        _ = daemon.finish("app", .success(BackupSummary(storedSize: 1)))
        daemon.clock.advance(by: .seconds(3_599))
        #expect(daemon.machine.timerFired(now: daemon.clock.now()).verificationsStarted.isEmpty)
        daemon.clock.advance(by: .seconds(1))
        let due = daemon.machine.timerFired(now: daemon.clock.now())
        let start = try #require(due.verificationsStarted.first)
        #expect(start.databases.map(\.name) == ["app"])
        #expect(start.identityFile == nil)
        #expect(due.stateWrites.first?.state.verification?.running == true)

        let report = Verifier.DatabaseReport(database: "app", kind: .scrub, checked: 2, failed: 1, reason: "bad")
        let ended = daemon.machine.verificationFinished(
            id: start.id, result: .success([report]), now: daemon.clock.now())
        #expect(ended.logs.map(\.message) == ["scheduled verification of 'app' FAILED: 1 of 2 backups failed: bad"])
        #expect(ended.stateWrites.first?.state.database(named: "app")?.lastVerification?.ok == false)
        #expect(
            ended.notifications.last.map {
                if case .status(let s) = $0 { s.hasSuffix("verify FAILED: app") } else { false }
            } == true)
    }

    @Test("a notifier or state-file failure is logged once; a state file written again says so")
    func failuresLoggedOnce() {
        var daemon = Machine(Self.configuration(["app"]))
        #expect(
            daemon.machine.notificationFailed(.watchdog, error: Failure()).logs.map(\.message) == [
                "cannot tell systemd that the daemon is alive: the disk is on fire"
            ])
        #expect(daemon.machine.notificationFailed(.stopping, error: Failure()).isEmpty)

        let file = DaemonStateMachine.StateFileName(what: "the metrics textfile", path: "/m/litesafe.prom")
        #expect(daemon.machine.stateFileWritten(file, error: Failure()).logs.map(\.event) == [.stateWriteFailed])
        #expect(daemon.machine.stateFileWritten(file, error: Failure()).logs.isEmpty)
        #expect(
            daemon.machine.stateFileWritten(file, error: nil).logs.map(\.message) == [
                "the metrics textfile /m/litesafe.prom is written again"
            ])
        // The last file of a write, with nothing running: the memory and code pages the write
        // (and the backups before it) touched go back; not after the state file of a write that
        // goes on to the metrics.
        #expect(daemon.machine.stateFileWritten(file, error: nil) == [.releaseMemory])
        let first = DaemonStateMachine.StateFileName(what: "the state file", path: "/s/state.json", endsWrite: false)
        #expect(daemon.machine.stateFileWritten(first, error: nil).isEmpty)
    }

    // MARK: dump_schedule

    static func dumping(_ names: [String], dumpSchedule: Schedule = .every(.seconds(86_400))) -> Configuration {
        var configuration = configuration(names)
        for index in configuration.databases.indices { configuration.databases[index].dumpSchedule = dumpSchedule }
        return configuration
    }

    @Test("a dump that comes due while its database's backup runs waits for it, then starts as a dump")
    func dumpWaitsForTheBackup() throws {
        var daemon = Machine(Self.dumping(["app"]))
        let started = daemon.start()
        // Both are due (neither exists yet); the backup came first and holds the store's lock.
        #expect(started.backupsStarted.map(\.kind) == [.snapshot])
        #expect(daemon.machine.waitingDumps["app"] != nil)
        daemon.clock.advance(by: .seconds(5))
        let done = daemon.finish("app", .success(BackupSummary(storedSize: 1, file: "app.sqlite")))
        let dump = try #require(done.backupsStarted.first)
        #expect(done.backupsStarted.count == 1)
        #expect(dump.kind == .dump)
        #expect(dump.run.name == "app")
        #expect(daemon.machine.inFlightDumps["app"] != nil)
        #expect(daemon.machine.waitingDumps.isEmpty)
    }

    @Test("a backup that comes due while the dump runs waits for it; a dump's success is recorded apart")
    func backupWaitsForTheDump() throws {
        var daemon = Machine(Self.dumping(["app"]))
        var history = Daemon.History()
        // A snapshot ten minutes old, no dump yet: only the dump is due at start.
        history.lastRuns["app"] = daemon.clock.now().wall.addingTimeInterval(-600)
        let started = daemon.start(history: history)
        let dump = try #require(started.backupsStarted.first)
        #expect(started.backupsStarted.map(\.kind) == [.dump])

        daemon.clock.advance(by: .seconds(3_000))
        #expect(daemon.machine.timerFired(now: daemon.clock.now()).backupsStarted.isEmpty)
        #expect(daemon.machine.waitingBackups["app"] != nil)
        #expect(daemon.machine.inFlight.isEmpty)

        let done = daemon.machine.dumpFinished(
            "app", id: dump.id, result: .success(BackupSummary(storedSize: 7, file: "app.sql.zst.age")),
            now: daemon.clock.now())
        #expect(done.backupsStarted.map(\.kind) == [.snapshot])
        let entry = try #require(daemon.machine.state.database(named: "app"))
        #expect(entry.lastDump?.file == "app.sql.zst.age")
        #expect(entry.lastSuccess == nil, "a dump is not a snapshot")
        #expect(daemon.machine.dumpScheduler.nextDue(for: "app") == date("2026-11-27T12:00:00Z"))
    }

    @Test("a database whose newest dump is recent gets no dump at start, and one without dump_schedule never does")
    func dumpFollowsItsOwnHistory() {
        var configuration = Self.dumping(["app", "crm"])
        configuration.databases[1].dumpSchedule = nil
        var daemon = Machine(configuration, options: DaemonOptions())
        var history = Daemon.History()
        history.lastDumps["app"] = daemon.clock.now().wall.addingTimeInterval(-600)
        let started = daemon.start(history: history)
        #expect(started.backupsStarted.allSatisfy { $0.kind == .snapshot })
        #expect(daemon.machine.dumpScheduler.nextDue(for: "app") == date("2026-11-27T11:50:00Z"))
        #expect(daemon.machine.dumpScheduler.nextDue(for: "crm") == nil)
    }

    @Test("a failed dump is logged as a dump's failure and recorded apart; the backups' count is untouched")
    func dumpFailureIsRecorded() throws {
        var daemon = Machine(Self.dumping(["app"]))
        var history = Daemon.History()
        history.lastRuns["app"] = daemon.clock.now().wall.addingTimeInterval(-600)
        let dump = try #require(daemon.start(history: history).backupsStarted.first)
        let failed = daemon.machine.dumpFinished(
            "app", id: dump.id, result: .failure(Failure()), now: daemon.clock.now())
        #expect(failed.logs.map(\.message).contains("dump of 'app' failed: the disk is on fire"))
        #expect(failed.logs.first { $0.event == .backupFailed }?.metadata[LogKey.kind] == "dump")
        let entry = try #require(daemon.machine.state.database(named: "app"))
        #expect(entry.lastDumpFailure?.reason == "the disk is on fire")
        #expect(entry.consecutiveFailures == 0)
        // Retried like a backup, 30 s later.
        daemon.clock.advance(by: .seconds(30))
        #expect(daemon.machine.timerFired(now: daemon.clock.now()).backupsStarted.map(\.kind) == [.dump])
    }

    @Test("a stop cancels a dump in flight and completes once it ends")
    func stopCancelsTheDump() throws {
        var daemon = Machine(Self.dumping(["app"]))
        var history = Daemon.History()
        history.lastRuns["app"] = daemon.clock.now().wall.addingTimeInterval(-600)
        let dump = try #require(daemon.start(history: history).backupsStarted.first)
        let stopping = daemon.machine.stopRequested(reason: "SIGTERM", now: daemon.clock.now())
        #expect(stopping.contains(.cancel(dump.id)))
        #expect(!stopping.contains(.exit(code: 0)))
        let ended = daemon.machine.dumpFinished(
            "app", id: dump.id, result: .failure(BackupError.cancelled(database: "app")), now: daemon.clock.now())
        #expect(ended.contains(.exit(code: 0)))
        #expect(daemon.machine.phase == .stopped)
    }
}

/// A log line as the machine decides it (its source place is not compared).
private func line(
    _ event: Event?, _ message: String, _ metadata: Logger.Metadata = [:], level: Logger.Level = .info
) -> DaemonStateMachine.LogLine {
    DaemonStateMachine.LogLine(
        level: level, event: event, message: message, metadata: metadata, file: "", function: "", line: 0)
}

extension Array where Element == DaemonStateMachine.Action {
    var logs: [DaemonStateMachine.LogLine] { compactMap { if case .log(let line) = $0 { line } else { nil } } }
    var notifications: [DaemonStateMachine.Notification] {
        compactMap { if case .notify(let notification) = $0 { notification } else { nil } }
    }
    var backupsStarted: [DaemonStateMachine.BackupStart] {
        compactMap { if case .startBackup(let start) = $0 { start } else { nil } }
    }
    var verificationsStarted: [DaemonStateMachine.VerificationStart] {
        compactMap { if case .startVerification(let start) = $0 { start } else { nil } }
    }
    var stateWrites: [DaemonStateMachine.StateWrite] {
        compactMap { if case .writeState(let write) = $0 { write } else { nil } }
    }
    /// The schedule timer's deadlines, as armed.
    var timers: [Duration] { compactMap { if case .armScheduleTimer(let after) = $0 { after } else { nil } } }
}
