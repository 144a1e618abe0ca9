import Age
import Foundation
import LiteSafeCore
import LiteSafePresentation
import Logging

/// A database a migration command reads: a database file, a backup or dump file, or a stored
/// backup named `NAME@TIME` (`NAME@latest` for the newest) in the configured store or `--from`.
/// Backups are restored, with every check a restore makes, into a private folder that lives as
/// long as the command.
struct DatabaseReference {
    let spec: String

    /// The path of a database file holding what `spec` names.
    func resolve(
        location: StoreOptions, identityFile: String?, scratch: TemporaryFolder, logger: Logger
    ) throws -> String {
        let path = absolute(spec)
        if FileManager.default.fileExists(atPath: path) {
            if Self.isDatabase(path) { return path }
            return try restore(
                .file(path: path, manifest: nil), identityFile: identityFile, scratch: scratch, logger: logger)
        }
        guard let at = spec.lastIndex(of: "@"), !spec.contains("/") else {
            throw ValidationErrorText(
                "there is no database at \(path); for a stored backup write <name>@<time> (e.g. app@2026-11-26T12:00:00Z, or app@latest) with --config or --from"
            )
        }
        let name = String(spec[..<at])
        let timeText = String(spec[spec.index(after: at)...])
        let time: Date?
        if timeText == "latest" {
            time = nil
        } else {
            guard let parsed = BackupName.parseISO8601(timeText) else {
                throw ValidationErrorText(
                    "\(spec): '\(timeText)' is not an ISO 8601 time; write e.g. \(name)@2026-11-26T12:00:00Z or \(name)@latest"
                )
            }
            time = parsed
        }
        let (database, store) = try location.stores(only: [name])[0]
        let backup = try store.backup(of: database, atOrBefore: time)
        return try restore(.stored(backup, store: store), identityFile: identityFile, scratch: scratch, logger: logger)
    }

    private func restore(
        _ source: RestoreSource, identityFile: String?, scratch: TemporaryFolder, logger: Logger
    ) throws -> String {
        let identities =
            try identityFile.map { try IdentityFile.read(absolute($0), warn: { note("warning: \($0)") }) } ?? []
        let out = scratch.path + "/" + UUID().uuidString + ".db"
        _ = try RestoreEngine().restore(source, identities: identities, to: out, force: false, logger: logger)
        return out
    }

    /// Whether the file starts with SQLite's header string.
    static func isDatabase(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        return head == Data("SQLite format 3\0".utf8)
    }
}
