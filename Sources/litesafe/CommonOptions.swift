import Age
import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation
import Logging
import Systemd

/// Options every subcommand shares: where logs go and how much they say.
struct LoggingOptions: ParsableArguments {
    @Option(
        name: .customLong("log-target"),
        help: ArgumentHelp(
            "Where logs go: auto (the journal when run by systemd), journal, or console.", valueName: "target"))
    var target: String = "auto"

    @Flag(name: .shortAndLong, help: "Log each step, not only warnings and errors.")
    var verbose = false

    func validate() throws {
        guard target == "auto" || LoggingTarget(rawValue: target) != nil else {
            throw ValidationError("--log-target must be auto, journal or console, not '\(target)'")
        }
    }

    /// Sets up swift-log once and returns the logger the command passes down.
    func bootstrap(defaultLevel: Logger.Level = .warning) throws -> Logger {
        let chosen: LoggingTarget?
        switch target {
        case "auto": chosen = nil
        case let name:
            guard let value = LoggingTarget(rawValue: name) else {
                throw ValidationError("--log-target must be auto, journal or console, not '\(name)'")
            }
            chosen = value
        }
        LoggingSetup.bootstrap(target: chosen, level: verbose ? .debug : defaultLevel)
        return Logger(label: "litesafe")
    }
}

enum LiteSafeVersionText {
    static let text = "litesafe \(LiteSafeVersion.current) (SQLite \(SQLiteInfo.version))"
}

/// Prints `error` the way every subcommand reports failure, and turns it into exit status 1.
func fail(_ error: any Error) -> ExitCode {
    note("litesafe: error: \(ErrorMessage.describe(error))")
    return ExitCode(1)
}

/// Prints a line to standard error (warnings and notes that are not results); a secret key
/// quoted in it is cut to `AGE-SECRET-KEY-…`, whatever put it there.
func note(_ text: String) {
    FileHandle.standardError.write(Data((AgeKeys.redactingSecretKeys(text) + "\n").utf8))
}
