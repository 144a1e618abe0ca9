import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation

/// `litesafe prune`: deletes the backups the configured retention no longer keeps.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete the backups the configured retention no longer keeps (or show which, with --dry-run).",
        discussion: """
            Prints every backup, newest first, with keep or delete and the rules behind it. Each \
            successful backup already prunes its own database; run this after changing retention.
            """)

    @OptionGroup var configFile: ConfigFileOption

    @Flag(name: .customLong("dry-run"), help: "Show what would be deleted; delete nothing.")
    var dryRun = false

    @Argument(help: ArgumentHelp("Configured databases to prune (default: all).", valueName: "name"))
    var names: [String] = []

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = try logging.bootstrap()
        let configuration: Configuration
        do {
            configuration = try configFile.load(logger: logger)
            _ = try configuration.databases(named: names)
        } catch {
            throw fail(error)
        }
        var failures = 0
        for database in configuration.databases where names.isEmpty || names.contains(database.name) {
            let store = LiteSafe.stores.makeStore(at: database.store)
            var pruner = Pruner()
            pruner.errorWording = .advising
            do {
                let decisions =
                    dryRun
                    ? try pruner.plan(
                        database.name, in: store, policy: database.retention, timeZone: configuration.timeZone)
                    : try pruner.prune(
                        database.name, in: store, policy: database.retention, timeZone: configuration.timeZone,
                        logger: logger)
                if dryRun {
                    // A real prune logs these itself; they are kept whatever the policy says.
                    for manifest in try store.listing(of: database.name).damaged {
                        note("litesafe: warning: \(ErrorMessage.describe(manifest))")
                    }
                }
                print(
                    RetentionReport.text(
                        database: database.name, policy: database.retention, timeZone: configuration.timeZone,
                        decisions: decisions, dryRun: dryRun),
                    terminator: "")
            } catch {
                failures += 1
                note("litesafe: error: \(database.name): \(ErrorMessage.describe(error))")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
