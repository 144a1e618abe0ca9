import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation

/// `litesafe fixture`: a deterministic copy of a database for tests, or a check of one.
struct FixtureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixture",
        abstract: "Write a deterministic copy of a database for tests (same content, same bytes), or check one.",
        discussion: """
            Make:   litesafe fixture <database> -o tests/fixtures/app.db
            Check:  litesafe fixture <database> --check tests/fixtures/app.db
            The copy is the database's content rebuilt into a fresh file: page size 4096, \
            rollback-journal mode, no free pages, fixed header counters. Two databases with the \
            same content give byte-identical fixtures, whatever their histories, so a fixture \
            can be committed and reviewed by its SHA-256. --check exits 0 when the fixture still \
            matches the database's content and 1 when it does not.
            """)

    @Argument(
        help: ArgumentHelp(
            "The database to copy: a file, a backup file, or <name>@<time> (or <name>@latest).", valueName: "database"))
    var source: String

    @OptionGroup var location: StoreOptions

    @Option(
        name: [.short, .long],
        help: ArgumentHelp("The age identity file that decrypts a backup named above.", valueName: "key-file"))
    var identity: String?

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the fixture here.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Check that this fixture matches the database's content.", valueName: "file"))
    var check: String?

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (output == nil) != (check == nil) else {
            throw ValidationError("give -o <file> to write a fixture, or --check <file> to check one")
        }
    }

    func run() throws {
        let logger = try logging.bootstrap()
        let matched: Bool
        do {
            let scratch = try TemporaryFolder(label: "litesafe-fixture")
            defer { scratch.remove() }
            let source = try DatabaseReference(spec: self.source).resolve(
                location: location, identityFile: identity, scratch: scratch, logger: logger)
            if let output {
                let path = absolute(output)
                if FileSystem.exists(path) && !force {
                    throw ValidationErrorText("\(path) exists; choose another name, or add --force to replace it")
                }
                let digest = try Fixture().make(from: source, to: path, replacing: force)
                print("wrote \(path) (SHA-256 \(digest))")
                return
            }
            let fixture = absolute(check ?? "")
            guard FileManager.default.fileExists(atPath: fixture) else {
                throw ValidationErrorText("there is no fixture at \(fixture); make one with -o \(fixture)")
            }
            matched = try Fixture().matches(fixture, source: source, scratch: scratch.path)
            print(
                matched
                    ? "\(fixture) matches \(self.source)"
                    : "\(fixture) does NOT match \(self.source): make it again with -o \(fixture) --force")
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
        if !matched { throw ExitCode(1) }
    }
}

/// A private (0700) folder under `$TMPDIR`, removed with what it holds.
struct TemporaryFolder {
    let path: String

    init(label: String) throws {
        var template = Array((FileManager.default.temporaryDirectory.path + "/\(label).XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw FileSystemError("create folder in", path: FileManager.default.temporaryDirectory.path)
        }
        path = String(cString: made)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
