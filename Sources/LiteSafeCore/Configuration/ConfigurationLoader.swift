import Foundation

/// A configuration that loaded, with the warnings the operator should still see.
public struct LoadedConfiguration: Sendable, Equatable {
    public var configuration: Configuration
    public var warnings: [ConfigurationProblem]

    public init(configuration: Configuration, warnings: [ConfigurationProblem] = []) {
        self.configuration = configuration
        self.warnings = warnings
    }
}

/// Finds, reads and validates `litesafe.yml`: the one way `run`, a SIGHUP reload and
/// `check-config` get a configuration, so all three accept and reject exactly the same files.
public enum ConfigurationLoader {
    /// Where the configuration lives when neither the command line nor `LITESAFE_CONFIG` says otherwise.
    public static let defaultPath = "/etc/litesafe/litesafe.yml"
    /// The environment variable that overrides `defaultPath`.
    public static let environmentVariable = "LITESAFE_CONFIG"

    /// The configuration path to use: the command line's (`flag`), else `LITESAFE_CONFIG`, else `defaultPath`.
    ///
    /// An empty value counts as not given, as `LITESAFE_CONFIG=` in a unit file usually means "unset".
    public static func resolvePath(
        flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return defaultPath
    }

    /// Loads and validates the file at `path`, also refusing it if anyone but root or the running
    /// user could change it (`FileTrust`).
    ///
    /// - Parameter credentialsDirectory: Where credentials named by a bare name (`credentials: s3`)
    ///   are, when the caller was given them; nil leaves such files unchecked, with a warning.
    /// - Throws: every error in the file (and its warnings), each with its line and column.
    public static func load(path: String, credentialsDirectory: String? = nil) throws(ConfigurationError)
        -> LoadedConfiguration
    {
        let reader = ConfigurationReader(source: path)
        reader.credentialsDirectory = credentialsDirectory
        let file: ConfigurationFile
        switch ConfigurationFile.read(path) {
        case .success(let read): file = read
        case .failure(let failure) where failure.isMissing:
            reader.error("configuration file not found", at: nil, fix: .createConfiguration)
            throw ConfigurationError(source: path, problems: reader.problems)
        case .failure(let failure):
            reader.error(
                "cannot read the configuration file: \(failure.reason); it must be readable by the user LiteSafe runs as",
                at: nil, fix: .makeReadable)
            throw ConfigurationError(source: path, problems: reader.problems)
        }
        if ConfigurationFile.isWritableByOthers(file.mode) {
            // Whoever can edit the file can point backups elsewhere or turn encryption off.
            reader.error(
                "the configuration file is writable by group or others (mode \(ConfigurationFile.octal(file.mode))): anyone who can write it could redirect backups or turn encryption off; run `chmod go-w \(path)`",
                at: nil)
        }
        if let problem = FileTrust.problem(path, owner: file.owner, risk: "redirect backups or turn encryption off") {
            reader.error(problem.description, at: nil, fix: .untrustedFile(problem))
        }
        guard let text = String(data: file.data, encoding: .utf8) else {
            reader.error("the configuration file is not UTF-8 text", at: nil)
            throw ConfigurationError(source: path, problems: reader.problems)
        }
        return try load(text: text, reader: reader)
    }

    /// Validates configuration `text`; `source` names it in messages. Files it refers to (the
    /// databases' folders, recipients files) are still checked on disk.
    ///
    /// - Throws: every error in the text (and its warnings), each with its line and column.
    public static func load(text: String, source: String, credentialsDirectory: String? = nil)
        throws(ConfigurationError) -> LoadedConfiguration
    {
        let reader = ConfigurationReader(source: source)
        reader.credentialsDirectory = credentialsDirectory
        return try load(text: text, reader: reader)
    }

    private static func load(text: String, reader: ConfigurationReader) throws(ConfigurationError)
        -> LoadedConfiguration
    {
        let configuration = reader.read(text)
        guard let configuration, !reader.hasErrors else {
            throw ConfigurationError(source: reader.source, problems: reader.problems)
        }
        return LoadedConfiguration(configuration: configuration, warnings: reader.problems)
    }
}
