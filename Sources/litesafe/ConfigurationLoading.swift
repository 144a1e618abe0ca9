import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation
import Logging

/// `--config <file>`, the same in every subcommand that reads the configuration.
struct ConfigFileOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The configuration file (default: $\(ConfigurationLoader.environmentVariable), else \(ConfigurationLoader.defaultPath)).",
            valueName: "file"))
    var config: String?

    /// `--config`, else `$LITESAFE_CONFIG`, else /etc/litesafe/litesafe.yml.
    var path: String { ConfigurationLoader.resolvePath(flag: config) }

    /// Loads the file; its warnings go to the log (or, without one, to standard error), but for
    /// credentials this command was not given: only `check-config` and the service need them.
    func load(logger: Logger? = nil) throws -> Configuration {
        let loaded = try ConfigurationLoader.load(path: path, credentialsDirectory: credentialsDirectory)
        for warning in loaded.warnings {
            if case .credentialNotPassed = warning.fix { continue }
            let text = ErrorMessage.describe(warning)
            if let logger { logger.warning("\(text)") } else { note("litesafe: \(text)") }
        }
        return loaded.configuration
    }
}

extension BackupCommand {
    func configuredJobs(logger: Logger) throws -> [BackupJob] {
        let configuration = try configFile.load(logger: logger)
        return try configuration.databases(named: names)
            .map { configuration.backupJob(for: $0, stores: LiteSafe.stores) }
    }
}

/// Where systemd's `LoadCredential=` put the credentials this process was given, if it did.
var credentialsDirectory: String? { ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"] }

/// A plain message as an error (printed as is by `fail`).
struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
