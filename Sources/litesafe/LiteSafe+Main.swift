import Age
import ArgumentParser
import Foundation
import LiteSafePresentation

/// How every subcommand ends: one error style and one exit status per class of error.
///
/// A usage error (the command line cannot be understood: an unknown option, a value that does
/// not parse, options that do not go together) prints `litesafe: error: …` and the
/// subcommand's usage, and exits 64 (EX_USAGE, sysexits.h), whether the parser or the
/// subcommand's `run()` found it. A failure (the command was understood and could not be done)
/// prints `litesafe: error: …` and exits 1; `status` adds its documented 2 and 3.
extension LiteSafe {
    /// Parses `arguments` (nil: the process's) and runs the subcommand, reporting errors as above.
    static func main(_ arguments: [String]?) {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exit(reporting: error, in: nil)
        }
        do {
            try command.run()
        } catch {
            exit(reporting: error, in: type(of: command))
        }
        Foundation.exit(0)
    }

    /// Without a subcommand there is nothing to do: the help goes to standard error, as for
    /// any other usage error.
    func run() throws {
        FileHandle.standardError.write(Data((Self.helpMessage() + "\n").utf8))
        throw ExitCode.validationFailure
    }

    private static func exit(reporting error: any Error, in command: (any ParsableCommand.Type)?) -> Never {
        let code = exitCode(for: error)
        if code == .success { exit(withError: error) }  // --help and --version print as they do
        var lines: [String]
        switch error {
        case let problems as CommandLineProblems:
            lines = problems.problems.map { "litesafe: error: \($0)" }
            if problems.isUsage, let command { lines += usage(of: command) }
            Self.write(lines)
            Foundation.exit(problems.isUsage ? ExitCode.validationFailure.rawValue : EXIT_FAILURE)
        case let validation as ValidationError:
            // Thrown by a subcommand's run(), which the parser cannot place: name its usage here.
            lines = ["litesafe: error: \(validation.message)"] + (command.map(usage(of:)) ?? [])
            Self.write(lines)
            Foundation.exit(ExitCode.validationFailure.rawValue)
        default:
            // The core's errors get the advice that depends on how LiteSafe runs.
            let message = ErrorMessage.knows(error) ? "Error: " + ErrorMessage.describe(error) : fullMessage(for: error)
            if !message.isEmpty {
                Self.write([message.hasPrefix("Error: ") ? "litesafe: error: " + message.dropFirst(7) : message])
            }
            Foundation.exit(code.rawValue)
        }
    }

    private static func usage(of command: any ParsableCommand.Type) -> [String] {
        let name = command == LiteSafe.self ? "litesafe" : "litesafe \(command.configuration.commandName ?? "")"
        return ["Usage: \(usageString(for: command))", "  See '\(name) --help' for more information."]
    }

    private static func write(_ lines: [String]) {
        // The last guard: whatever an error quotes, a secret key in it is never printed.
        let text = AgeKeys.redactingSecretKeys(lines.joined(separator: "\n"))
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// Everything wrong with a command's inputs, found before it did anything, to print at once.
struct CommandLineProblems: Error, CustomStringConvertible {
    let problems: [String]
    /// Whether any problem is with the command line itself (exit 64), not with what it names (1).
    let isUsage: Bool

    init(_ problems: [String], isUsage: Bool) {
        self.problems = problems
        self.isUsage = isUsage
    }

    var description: String { problems.joined(separator: "\n") }
}
