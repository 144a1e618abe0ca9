import Age
import Foundation
import LiteSafeCore
import LiteSafePresentation
import Logging

extension RestoreCommand {
    /// `error` in the words of this command line, where the core's message would mislead.
    func explained(_ error: any Error) -> any Error {
        if identity == nil, case AgeError.noIdentityMatched = error {
            return ValidationErrorText(
                "the backup is encrypted and no --identity was given; pass --identity <key-file>, the age identity file (secret key) whose public key the backups are encrypted to"
            )
        }
        return error
    }

    /// What to run next after a failed restore: for a damaged stored backup, the newest older
    /// backup that still matches its manifest and the exact command that restores it.
    func hints(after error: any Error, restoring source: RestoreSource?) -> [String] {
        guard case .stored(let damaged, let store) = source, Self.mayBeDamage(error) else { return [] }
        let silent = Logger(label: "litesafe.restore.hint") { _ in SwiftLogNoOpLogHandler() }
        if case BackupError.restoredCheckFailed = error {
            // The stored bytes may well match their manifest: the database was damaged before it was backed up.
        } else if (try? Verifier().scrub(backup: damaged, store: store, logger: silent)) != nil {
            return []  // Its bytes are as they were written: the failure lies elsewhere.
        }
        let database = damaged.manifest.database
        let older = ((try? store.backups(of: database)) ?? [])
            .filter {
                $0.manifest.created < damaged.manifest.created && $0.manifest.backupKind == damaged.manifest.backupKind
            }
            .sorted { $0.manifest.created > $1.manifest.created }
        guard
            let good = older.first(where: { (try? Verifier().scrub(backup: $0, store: store, logger: silent)) != nil })
        else {
            return [
                "litesafe: backup \(damaged.manifest.file) of '\(database)' is damaged, and no older backup of it matches its manifest (\(older.count) checked); restore from another copy of the backups"
            ]
        }
        return [
            "litesafe: backup \(damaged.manifest.file) of '\(database)' is damaged; the newest older backup that matches its manifest is \(good.manifest.file). Restore it with:",
            "  " + restoreCommand(database: database, at: BackupName.iso8601(good.manifest.created)),
        ]
    }

    /// Whether `error` can come from a backup whose stored bytes changed (or were bad from the
    /// start), rather than from the output, the key or a choice on the command line.
    private static func mayBeDamage(_ error: any Error) -> Bool {
        switch error {
        case AgeError.noIdentityMatched, AgeError.invalidIdentity, AgeError.unsupportedRecipientType,
            AgeError.scryptWorkFactorTooHigh:
            false
        case BackupError.outputExists, BackupError.outputInUse, BackupError.noBackups, BackupError.noBackupAtOrBefore,
            BackupError.cancelled:
            false
        default: true
        }
    }

    /// This command line with `--at` picking the backup created at `time`.
    private func restoreCommand(database: String, at time: String) -> String {
        var words = ["litesafe", "restore"]
        if let from = location.from {
            words += ["--from", absolute(from)]
        } else if let config = location.configFile.config {
            words += ["--config", absolute(config)]
        }
        words += [database, "--at", time]
        if dump { words.append("--dump") }
        if let identity { words += ["--identity", absolute(identity)] }
        words += ["-o", absolute(output)]
        if force { words.append("--force") }
        return words.map(Self.shellQuoted).joined(separator: " ")
    }

    /// `word` as a shell reads it back: as is when it is plain, else in single quotes.
    private static func shellQuoted(_ word: String) -> String {
        let plain = word.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || "-_./:@%+=,".unicodeScalars.contains($0)
        }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
