import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation

/// `litesafe status`: what the daemon last recorded, whether or not it runs.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each database's last backup, failures, next run and verification, from the daemon's state.",
        discussion: """
            Reads <state_directory>/state.json, which the daemon rewrites after every backup and \
            verification and at least every 5 minutes, and says when it is stale (the daemon \
            stopped, died or stopped writing it). Works whether or not the daemon runs; needs \
            read access to the state folder (root or the service user). Exit status: 0 all good; \
            1 the configuration or state file could not be read; 2 a database's latest backup or \
            verification failed; 3 the state is stale or missing (3 wins over 2).
            """)

    @OptionGroup var configFile: ConfigFileOption

    @Flag(help: "Print JSON (keys documented in the README) instead of the table.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        _ = try logging.bootstrap()
        let report: StateReport
        let configuration: Configuration
        do {
            configuration = try configFile.load()
            let file = StateFile(directory: configuration.stateDirectory)
            let state = try file.read()
            report = StateReport(
                configuration: configuration, state: state, stateFile: file.path,
                daemonRunning: state.map { StateFile.isLiteSafeProcess($0.pid) } ?? false, now: Date())
        } catch {
            throw fail(error)
        }
        if json {
            print(try report.json())
        } else {
            print(report.table(timeZone: configuration.timeZone), terminator: "")
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
