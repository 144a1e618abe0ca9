import Age
import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation
import Logging

/// `litesafe verify`: rereads stored backups against their manifests, or restores each one.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check stored backups against their manifests; with --identity, restore each one as a test.",
        discussion: """
            Without --identity: reread every backup and compare its SHA-256 with the manifest (no \
            secret key needed). With --identity: also decrypt, decompress, check the database's \
            SHA-256 and run integrity_check, in a private folder under $TMPDIR (default /tmp) that \
            is removed afterwards; it needs room for the largest database. With --quick: read \
            nothing, compare each stored size (and the store's SHA-256 where it keeps one) with the \
            manifest: a HEAD per backup on S3 instead of a download. Prints one line per backup and \
            exits 1 if any failed.
            """)

    @OptionGroup var location: StoreOptions

    @Argument(help: ArgumentHelp("Only these databases (default: all).", valueName: "name"))
    var names: [String] = []

    @Option(
        name: [.short, .long],
        help: ArgumentHelp(
            "An age identity file (secret key): restore-test each backup with it.", valueName: "key-file"))
    var identity: String?

    @Flag(
        help: ArgumentHelp(
            "Read nothing: compare each backup's stored size, and the store's own SHA-256 where it keeps one (an S3 object written in one PUT), with its manifest."
        ))
    var quick = false

    @Flag(help: "Print JSON: one object per backup with mode, ok and error.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        var logger = try logging.bootstrap()
        // Each failure is a line of the report below; logged as well, it would show twice.
        if !logging.verbose { logger.logLevel = .critical }
        var results: [VerifierResult] = []
        do {
            if quick && identity != nil {
                throw ValidationError(
                    "--quick reads nothing, so it cannot restore-test: give --quick or --identity, not both")
            }
            let identities = try identity.map { try IdentityFile.read(absolute($0), warn: { note("warning: \($0)") }) }
            let selected = try location.stores(only: names)
            let scratch = FileManager.default.temporaryDirectory.path
            for (database, store) in selected {
                results += Verifier(errorWording: .advising).verify(
                    database, in: store, identities: identities, scratch: scratch, quick: quick, logger: logger)
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
        if json {
            print(try VerifierResult.json(results))
        } else if results.isEmpty {
            note("no backups found")
        } else {
            for result in results { print(result.line) }
            let failed = results.filter { !$0.passed }.count
            print(
                "verified \(results.count) \(results.count == 1 ? "backup" : "backups"): \(results.count - failed) ok\(failed > 0 ? ", \(failed) FAILED" : "")"
            )
        }
        if results.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }
}
