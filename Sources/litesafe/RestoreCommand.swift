import Age
import ArgumentParser
import Foundation
import Glibc
import LiteSafeCore

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a database from a backup, checked, without touching OUT unless it all succeeds.",
        discussion: """
            Newest backup:     litesafe restore [--config FILE | --from DIR] NAME --identity KEY -o OUT
            At a time:         litesafe restore --from DIR NAME --at 2026-11-26T12:00:00Z --identity KEY -o OUT
            One file:          litesafe restore FILE.sqlite.zst.age --identity KEY -o OUT
            """)

    @OptionGroup var location: StoreOptions

    @Argument(help: "A database name, or the path of one backup file.")
    var target: String

    @Option(help: "Restore the newest backup at or before this time (ISO 8601, e.g. 2026-11-26T12:00:00Z).")
    var at: String?

    @Option(name: [.short, .long], help: "The age identity file (secret key) that decrypts the backup.")
    var identity: String?

    @Option(name: [.short, .customLong("output")], help: "Where to write the restored database.")
    var output: String

    @Flag(help: "Replace OUT if it exists (refused while any process has it open).")
    var force = false

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = try logging.bootstrap()
        do {
            let identities = try loadIdentities()
            let source = try resolveSource()
            let result = try RestoreEngine().restore(
                source, identities: identities, to: absolute(output), force: force, logger: logger)
            print(
                "restored \(describe(source)) to \(result.output) (\(ByteCount(result.plaintextSize))\(result.walMode ? ", WAL mode" : ""))"
            )
            if !result.hashChecked {
                note(
                    "note: no manifest was found for this file, so there was no SHA-256 to check; integrity_check passed"
                )
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
    }

    private func loadIdentities() throws -> [any AgeIdentity] {
        guard let identity else { return [] }
        return try IdentityFile.read(absolute(identity))
    }

    private func resolveSource() throws -> RestoreSource {
        let looksLikeFile = target.contains("/") || (FileSystem.exists(target) && !DatabaseName.isValid(target))
        if looksLikeFile || (location.configFile.config == nil && location.from == nil && FileSystem.exists(target)) {
            if at != nil { throw ValidationError("--at picks among a database's backups; it does not go with a file") }
            let path = absolute(target)
            guard FileSystem.exists(path) else { throw FileSystemError("read", path: path, errno: ENOENT) }
            return .file(path: path, manifest: try BackupListing.manifest(describing: path))
        }
        let time = try at.map { text in
            guard let date = BackupName.parseISO8601(text) else {
                throw ValidationError(
                    "--at '\(text)' is not an ISO 8601 time; write e.g. 2026-11-26T12:00:00Z or 2026-11-26")
            }
            return date
        }
        // One name gives exactly one store, or an error naming the configured databases.
        let (database, store) = try location.stores(only: [target])[0]
        let backup = try store.backup(of: database, atOrBefore: time) { note("litesafe: warning: \($0)") }
        return .stored(backup, store: store)
    }

    private func describe(_ source: RestoreSource) -> String {
        switch source {
        case .stored(let backup, _): backup.dataLocation
        case .file(let path, _): path
        }
    }
}
