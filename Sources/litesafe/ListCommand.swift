import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List backups, newest first.")

    @OptionGroup var location: StoreOptions

    @Argument(help: ArgumentHelp("Only this database.", valueName: "name"))
    var name: String?

    @Flag(help: "Print JSON: one object per backup with its manifest and paths.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        _ = try logging.bootstrap()
        var rows: [StoredBackup] = []
        var damaged: [DamagedManifest] = []
        do {
            for (database, store) in try location.stores(only: name.map { [$0] } ?? []) {
                let listing = try store.listing(of: database)
                rows += listing.backups
                damaged += listing.damaged
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
        rows.sort { $0.manifest.created > $1.manifest.created }
        if json {
            print(try BackupListing.json(rows))
        } else if rows.isEmpty {
            note("no backups found")
        } else {
            print(BackupListing.table(rows), terminator: "")
        }
        // Every backup that could be listed is shown; the damaged ones make the exit status say so.
        for manifest in damaged { note("litesafe: error: \(ErrorMessage.describe(manifest))") }
        if !damaged.isEmpty { throw ExitCode(1) }
    }
}
