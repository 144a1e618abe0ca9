import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation

/// `litesafe check-store`: a small write, list, read and delete round trip against each store.
struct CheckStoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-store",
        abstract: "Check that each configured store (or the one named) can be written, listed, read and deleted from.",
        discussion: """
            Writes a small test backup under the database name litesafe-check-store, lists it, \
            reads it back, deletes it, and prints one line per store: ok, or the step that failed and \
            the store's own error (for S3: its error code, HTTP status and request id; DNS, TLS and \
            connection errors as they came; RequestTimeTooSkewed when this machine's clock is off). \
            Exits 1 if any store failed. Run it as the user the service runs as, with its credentials.
            """)

    @OptionGroup var configFile: ConfigFileOption

    @Argument(help: ArgumentHelp("Only this store (default: every store).", valueName: "name"))
    var name: String?

    func run() throws {
        let configuration: Configuration
        let stores: [Configuration.NamedStore]
        do {
            configuration = try configFile.load()
            stores = try Self.stores(of: configuration, named: name)
            if configuration.database(named: StoreCheck.database) != nil {
                throw ValidationErrorText(
                    "a database in \(configuration.sourceFile) is named '\(StoreCheck.database)', the name check-store writes its test backup under; rename the database to check its stores"
                )
            }
        } catch {
            throw fail(error)
        }
        var failures = 0
        for store in stores {
            let label = "store \(store.name) (\(store.location))"
            do throws(StoreCheck.Failure) {
                let report = try StoreCheck().run(LiteSafe.stores.makeStore(at: store.location))
                if case .directory(let root) = store.location { Self.removeCheckFolder(in: root) }
                print(
                    "\(label): ok: wrote, listed, read back and deleted \(ByteCount(Int64(report.bytes))) in \(report.duration.milliseconds) ms"
                )
                for note in report.notes { print("  \(note)") }
            } catch {
                failures += 1
                print("\(label): FAILED to \(error.step.rawValue): \(ErrorMessage.describe(error.cause))")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// Removes the folder a check leaves in a folder store: its lock file and the empty folder
    /// (a folder of anything else is left alone).
    static func removeCheckFolder(in root: String) {
        let folder = StoreLocation.directory(root).description(of: StoreCheck.database)
        unlink(folder + "/.lock")
        rmdir(folder)
    }

    /// The configured stores, named ones first, then each different `destination:` folder; only
    /// those called `name` when one is given.
    static func stores(of configuration: Configuration, named name: String?) throws -> [Configuration.NamedStore] {
        var stores = configuration.stores
        for database in configuration.databases {
            for store in database.stores where !stores.contains(where: { $0.location == store.location }) {
                stores.append(store)
            }
        }
        guard let name else { return stores }
        let chosen = stores.filter { $0.name == name }
        guard !chosen.isEmpty else {
            throw ValidationErrorText(
                "no store named '\(name)' in \(configuration.sourceFile); configured: \(Set(stores.map(\.name)).sorted().joined(separator: ", "))"
            )
        }
        return chosen
    }
}
