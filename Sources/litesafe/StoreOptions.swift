import ArgumentParser
import LiteSafeCore
import LiteSafePresentation

/// `--config <file> | --from <dir>`: where list, restore, verify and prune find backups.
struct StoreOptions: ParsableArguments {
    @OptionGroup var configFile: ConfigFileOption

    @Option(help: ArgumentHelp("A destination folder to read directly, without a configuration.", valueName: "dir"))
    var from: String?

    func validate() throws {
        if configFile.config != nil && from != nil {
            throw ValidationError("give --config <file> or --from <dir>, not both")
        }
    }

    /// The stores to look in, with the database names each holds (all of them when `names` is
    /// empty). A name the configuration does not know is an error that lists the ones it does.
    func stores(only names: [String]) throws -> [(database: String, store: any BackupStore)] {
        if let from {
            let store = LiteSafe.stores.makeStore(at: .directory(absolute(from)))
            return try (names.isEmpty ? store.databases() : names).map { ($0, store) }
        }
        let configuration = try configFile.load()
        return try configuration.databases(named: names).map { ($0.name, LiteSafe.stores.makeStore(at: $0.store)) }
    }
}

extension LiteSafe {
    /// What makes every store the commands and the daemon use: the executable's one choice of
    /// backends.
    static let stores: any StoreFactory = StandardStoreFactory()
}
