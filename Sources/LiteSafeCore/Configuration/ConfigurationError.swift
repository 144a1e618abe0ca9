/// Why a configuration file was rejected: every error found in it, and its warnings too.
///
/// Loading never stops at the first problem, so one `check-config` run shows everything to fix.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file that was rejected.
    public var source: String
    /// Errors and warnings, in the order they appear in the file.
    public var problems: [ConfigurationProblem]

    public init(source: String, problems: [ConfigurationProblem]) {
        self.source = source
        self.problems = problems
    }

    /// The problems that made the file unusable.
    public var errors: [ConfigurationProblem] { problems.filter { $0.severity == .error } }

    /// The problems that alone would not have rejected the file.
    public var warnings: [ConfigurationProblem] { problems.filter { $0.severity == .warning } }

    /// One problem per line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
