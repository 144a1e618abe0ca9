import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation

/// `litesafe check-config`: validates the configuration file and shows what it will do.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the configuration file and show what it backs up, where and when.",
        discussion: """
            Loads the file exactly as `run` and a reload do. If it is valid, prints a summary of each \
            database and exits 0; warnings, and a note if the system's SQLite has a known bug, go to \
            standard error. If not, prints every problem as \
            <file>:<line>:<column>: <message> to standard error and exits 1. Run it as the user the service \
            runs as, so folders and key files are checked with the service's permissions.
            """)

    @OptionGroup var configFile: ConfigFileOption

    @Flag(name: .long, help: "Print only warnings and errors.")
    var quiet = false

    func run() throws {
        let path = configFile.path
        do throws(ConfigurationError) {
            let loaded = try ConfigurationLoader.load(path: path, credentialsDirectory: credentialsDirectory)
            if !quiet { print(loaded.configuration.summary(now: Date())) }
            writeToStandardError(
                loaded.warnings.map(ErrorMessage.describe) + [SQLiteInfo.walResetBugNotice].compactMap { $0 })
        } catch {
            let errors = error.errors.count
            let warnings = error.warnings.count
            writeToStandardError(
                error.problems.map(ErrorMessage.describe) + [
                    "\(path): \(errors) \(errors == 1 ? "error" : "errors"), \(warnings) \(warnings == 1 ? "warning" : "warnings"); the configuration was not accepted"
                ])
            throw ExitCode.failure
        }
    }

    private func writeToStandardError(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
