/// One thing wrong with, or worth knowing about, a configuration file, and where it is.
///
/// Its `description` reads `source:line:column: message` (`source: message` for a problem with the
/// whole file), the form compilers use, so editors and `grep` can jump to it; warnings say so after
/// the location.
public struct ConfigurationProblem: Sendable, Hashable, CustomStringConvertible {
    /// Whether the problem stops the configuration from being used.
    public enum Severity: String, Sendable, Hashable {
        /// The configuration is rejected.
        case error
        /// The configuration is used, but the operator should look.
        case warning
    }

    public var severity: Severity
    /// The file the problem is in, as it was named when loading.
    public var source: String
    /// The 1-based line, or nil when the problem concerns the whole file.
    public var line: Int?
    /// The 1-based column, counted in Unicode scalars as libyaml does.
    public var column: Int?
    /// What is wrong (and, where it does not depend on how LiteSafe runs, how to fix it),
    /// without the location.
    public var message: String
    /// What would fix it, for the edge to word (`ErrorMessage`): the fixes that name commands,
    /// users or flags of an installation are not the core's to spell.
    public var fix: Fix?

    /// A fix that depends on how LiteSafe is installed and run.
    public enum Fix: Sendable, Hashable {
        /// The message ends with this error; its advice applies.
        case fileSystem(FileSystemError)
        /// The message ends with this refusal; its advice applies.
        case untrustedFile(UntrustedFile)
        /// The configuration file does not exist: create it, or name another.
        case createConfiguration
        /// The destination folder does not exist: create it for the service's user.
        case createDestination(path: String)
        /// The configuration file cannot be read: give it to the service's group.
        case makeReadable
        /// The example key from `config/litesafe.yml`: make a key of one's own.
        case replaceExampleKey
        /// A store's credentials name a credential the service is given; this check was given none.
        case credentialNotPassed(name: String)
    }

    public init(
        severity: Severity, source: String, line: Int? = nil, column: Int? = nil, message: String, fix: Fix? = nil
    ) {
        self.severity = severity
        self.source = source
        self.line = line
        self.column = column
        self.message = message
        self.fix = fix
    }

    /// `source:line:column`, or just `source` for the whole file.
    public var location: String {
        guard let line else { return source }
        return "\(source):\(line):\(column ?? 1)"
    }

    public var description: String {
        switch severity {
        case .error: "\(location): \(message)"
        case .warning: "\(location): warning: \(message)"
        }
    }
}
