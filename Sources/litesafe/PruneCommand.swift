import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation
import Logging

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

    @Option(
        help: ArgumentHelp(
            "Prune only this configured store of each database (default: every store, each by its own retention).",
            valueName: "name"))
    var store: String?

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = try logging.bootstrap()
        let configuration: Configuration
        do {
            configuration = try configFile.load(logger: logger)
            for database in try configuration.databases(named: names) {
                _ = try store.map { try configuration.store(named: $0, of: database) }
            }
        } catch {
            throw fail(error)
        }
        var failures = 0
        for database in configuration.databases where names.isEmpty || names.contains(database.name) {
            for named in database.stores where store == nil || store == named.name {
                if !prune(database, in: named, of: configuration, logger: logger) { failures += 1 }
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// Prunes one store of `database` by its retention there; false when that failed (and was said).
    private func prune(
        _ database: Configuration.Database, in named: Configuration.NamedStore, of configuration: Configuration,
        logger: Logger
    ) -> Bool {
        let store = LiteSafe.stores.makeStore(at: named.location)
        let policy = database.retention(in: named)
        let label = database.stores.count > 1 ? "\(database.name) (store \(named.name))" : database.name
        var pruner = Pruner()
        pruner.errorWording = .advising
        do {
            let decisions =
                dryRun
                ? try pruner.plan(database.name, in: store, policy: policy, timeZone: configuration.timeZone)
                : try pruner.prune(
                    database.name, in: store, policy: policy, timeZone: configuration.timeZone, logger: logger)
            if dryRun {
                // A real prune logs these itself; they are kept whatever the policy says.
                for manifest in try store.listing(of: database.name).damaged {
                    note("litesafe: warning: \(ErrorMessage.describe(manifest))")
                }
            }
            if database.stores.count > 1 { print("store \(named.name) (\(store.location(of: database.name))):") }
            print(
                RetentionReport.text(
                    database: database.name, policy: policy, timeZone: configuration.timeZone, decisions: decisions,
                    dryRun: dryRun),
                terminator: "")
            return true
        } catch {
            note("litesafe: error: \(label): \(ErrorMessage.describe(error))")
            return false
        }
    }
}
