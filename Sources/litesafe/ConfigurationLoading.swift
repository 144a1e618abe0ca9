import LiteSafeCore
import Logging

/// Loads the configuration the way every subcommand does: `--config`, else `$LITESAFE_CONFIG`,
/// else /etc/litesafe/litesafe.yml; warnings go to the log.
func loadConfiguration(flag: String?, logger: Logger? = nil) throws -> Configuration {
    let loaded = try ConfigurationLoader.load(path: ConfigurationLoader.resolvePath(flag: flag))
    for warning in loaded.warnings {
        if let logger { logger.warning("\(warning)") } else { note("litesafe: \(warning)") }
    }
    return loaded.configuration
}

extension BackupCommand {
    func configuredJobs(logger: Logger) throws -> [BackupJob] {
        let configuration = try loadConfiguration(flag: config, logger: logger)
        let unknown = names.filter { configuration.database(named: $0) == nil }
        if !unknown.isEmpty {
            throw ValidationErrorText(
                "no database named \(unknown.map { "'\($0)'" }.joined(separator: ", ")) in \(configuration.sourceFile); configured: \(configuration.databases.map(\.name).joined(separator: ", "))"
            )
        }
        return configuration.databases
            .filter { names.isEmpty || names.contains($0.name) }
            .map { configuration.backupJob(for: $0) }
    }
}

/// A plain message as an error (printed as is by `fail`).
struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
