import Age
import ArgumentParser
import Foundation
import Glibc
import LiteSafeCore
import LiteSafePresentation

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a database from a backup, checked, without touching <out> unless it all succeeds.",
        discussion: """
            The newest backup of a configured database (or of one in <dir>, with --from <dir>):
              litesafe restore [--config <file>] <name> --identity <key-file> -o <out>
            The newest backup at or before a time:
              litesafe restore --from <dir> <name> --at 2026-11-26T12:00:00Z \\
                --identity <key-file> -o <out>
            The newest stored dump instead of a snapshot (dumps are chosen only when asked):
              litesafe restore [--config <file>] <name> --dump --identity <key-file> -o <out>
            One backup file (a snapshot or a dump):
              litesafe restore <file>.sqlite.zst.age --identity <key-file> -o <out>
            """)

    @OptionGroup var location: StoreOptions

    @Argument(help: ArgumentHelp("A database name, or the path of one backup file.", valueName: "name-or-file"))
    var target: String

    @Option(
        help: ArgumentHelp(
            "Restore the newest backup at or before this time (ISO 8601, e.g. 2026-11-26T12:00:00Z).", valueName: "time"
        ))
    var at: String?

    @Flag(help: "Restore from the database's stored dumps (`litesafe dump <name> --store`) instead of its snapshots.")
    var dump = false

    @Option(
        name: [.short, .long],
        help: ArgumentHelp("The age identity file (secret key) that decrypts the backup.", valueName: "key-file"))
    var identity: String?

    @Option(
        name: [.short, .customLong("output")],
        help: ArgumentHelp("Where to write the restored database.", valueName: "out"))
    var output: String

    @Flag(help: "Replace <out> if it exists (refused while any process has it open).")
    var force = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let at, BackupName.parseISO8601(at) == nil {
            throw ValidationError(
                "--at '\(at)' is not an ISO 8601 time; write e.g. 2026-11-26T12:00:00Z or 2026-11-26")
        }
    }

    func run() throws {
        let logger = try logging.bootstrap()
        var source: RestoreSource?
        do {
            let identities = try loadIdentities()
            let resolved = try resolveSource()
            source = resolved
            let result = try RestoreEngine().restore(
                resolved, identities: identities, to: absolute(output), force: force, logger: logger)
            print(
                "restored \(describe(resolved)) to \(result.output) (\(ByteCount(result.plaintextSize))\(result.walMode ? ", WAL mode" : ""))"
            )
            if !result.hashChecked {
                note(
                    "note: no manifest was found for this file, so there was no SHA-256 to check; integrity_check passed"
                )
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            let failure = fail(explained(error))
            for line in hints(after: error, restoring: source) { note(line) }
            throw failure
        }
    }

    private func loadIdentities() throws -> [any AgeIdentity] {
        guard let identity else { return [] }
        let path = absolute(identity)
        // Checked here, not left to the reader: a missing key file is a wrong path, never one to create.
        guard FileSystem.exists(path) else {
            throw ValidationErrorText(
                "identity file \(path) does not exist; check the path given to --identity: it is the secret key (from `litesafe keygen`) whose public key the backups are encrypted to"
            )
        }
        return try IdentityFile.read(path, warn: { note("warning: \($0)") })
    }

    private func resolveSource() throws -> RestoreSource {
        let looksLikeFile = target.contains("/") || (FileSystem.exists(target) && !DatabaseName.isValid(target))
        if looksLikeFile || (location.configFile.config == nil && location.from == nil && FileSystem.exists(target)) {
            if at != nil { throw ValidationError("--at picks among a database's backups; it does not go with a file") }
            if dump { throw ValidationError("--dump picks among a database's backups; it does not go with a file") }
            let path = absolute(target)
            guard FileSystem.exists(path) else { throw FileSystemError("read", path: path, errno: ENOENT) }
            return .file(path: path, manifest: try Manifest.describing(path))
        }
        // Checked in validate().
        let time = at.flatMap(BackupName.parseISO8601)
        // One name gives exactly one store, or an error naming the configured databases.
        let (database, store) = try location.stores(only: [target])[0]
        let backup = try store.backup(of: database, atOrBefore: time, kind: dump ? .dump : .snapshot) {
            note("litesafe: warning: \(ErrorMessage.describe($0))")
        }
        return .stored(backup, store: store)
    }

    private func describe(_ source: RestoreSource) -> String {
        switch source {
        case .stored(let backup, _): backup.dataLocation
        case .file(let path, _): path
        }
    }
}
