import ArgumentParser
import LiteSafeCore
import LiteSafeDaemon
import LiteSafePresentation
import Logging
import Systemd

/// `litesafe run`: the daemon, in the foreground, as systemd (or `make run`) starts it.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: back up the configured databases on their schedules until stopped.",
        discussion: """
            Runs in the foreground and speaks sd_notify(3) when started by systemd (Type=notify): \
            READY=1, a STATUS= line, and WATCHDOG=1 pings while backups make progress. SIGHUP \
            reloads the configuration (an invalid file is refused and the running one kept); \
            SIGTERM or SIGINT cancels the backups in flight, which publish nothing, and exits 0. \
            Exits 1 if the configuration cannot be loaded at start, printing every problem.
            """)

    @OptionGroup var configFile: ConfigFileOption

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        // First, before anything starts a thread, so that every thread inherits the mask (and
        // glibc's allocator settings, which may not change while threads allocate).
        DaemonSignal.block(DaemonSignal.all)
        ProcessMemory.returnFreedMemoryPromptly()
        let logger = try logging.bootstrap(defaultLevel: .info)
        let configuration: Configuration
        do {
            configuration = try configFile.load(logger: logger)
        } catch let error as ConfigurationError {
            for problem in error.problems { note(ErrorMessage.describe(problem)) }
            let count = error.errors.count
            note("litesafe: \(error.source): \(count) \(count == 1 ? "error" : "errors"); not starting")
            throw ExitCode(1)
        } catch {
            throw fail(error)
        }
        let notifier = Notifier()
        var watchdog: Duration?
        do {
            watchdog = try notifier.watchdogInterval
        } catch {
            logger.warning("\(error); running without the watchdog")
        }
        let daemon = Daemon(
            configuration: configuration, stores: LiteSafe.stores, runner: EngineBackupRunner(), notifier: notifier,
            options: .service(watchdogInterval: watchdog), logger: logger)
        let status = daemon.run()
        if status != 0 { throw ExitCode(status) }
    }
}
