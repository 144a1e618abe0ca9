import ArgumentParser
import LiteSafeCore

/// `--config FILE | --from DIR`: where list, restore, verify and prune find backups.
struct StoreOptions: ParsableArguments {
    @Option(help: "The configuration file (default: $LITESAFE_CONFIG, else /etc/litesafe/litesafe.yml).")
    var config: String?

    @Option(help: "A destination folder to read directly, without a configuration.")
    var from: String?

    func validate() throws {
        if config != nil && from != nil { throw ValidationError("give --config FILE or --from DIR, not both") }
    }

    /// The stores to look in, with the database names each holds (all of them when `only` is nil).
    func stores(only name: String?) throws -> [(database: String, store: DirectoryStore)] {
        if let from {
            let store = DirectoryStore(root: absolute(from))
            let names = try name.map { [$0] } ?? store.databases()
            return names.map { ($0, store) }
        }
        let configuration = try loadConfiguration(flag: config)
        let selected = configuration.databases.filter { name == nil || $0.name == name }
        if let name, selected.isEmpty {
            throw ValidationError(
                "no database named '\(name)' in \(configuration.sourceFile); configured: \(configuration.databases.map(\.name).joined(separator: ", "))"
            )
        }
        return selected.map { ($0.name, DirectoryStore(root: $0.destinationRoot)) }
    }
}
