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
        return try configuration.databases(named: names)
            .map { configuration.backupJob(for: $0) }
    }
}

/// A plain message as an error (printed as is by `fail`).
struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
