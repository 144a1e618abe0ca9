import Foundation

// The manifest's memberwise initialiser is internal: the core makes manifests only from a snapshot.
@testable import LiteSafeCore

/// In-memory backups for planning: a manifest and paths, no files.
public enum RetentionFixture {
    public static let utc = TimeZone.utc

    public static func date(_ text: String) -> Date { BackupName.parseISO8601(text)! }

    public static func backup(
        _ created: Date, check: String = "quick_check ok", database: String = "app", kind: BackupKind = .snapshot
    )
        -> StoredBackup
    {
        let stem = BackupName.stem(database: database, date: created)
        let manifest = Manifest(
            database: database, sourcePath: "/data/\(database).db", created: created,
            file: stem + (kind == .dump ? ".sql.zst.age" : ".sqlite.zst.age"),
            sqliteVersion: "3.40.1", pageSize: 4096, pageCount: 1, walMode: true, plaintextSize: 4096,
            plaintextSHA256: "", storedSize: 0, storedSHA256: "", compression: "zstd:3", encryption: "age",
            recipients: [], check: check, litesafeVersion: "test", kind: kind == .dump ? .dump : nil)
        return StoredBackup(
            id: BackupID(database: database, stem: stem), manifest: manifest,
            dataLocation: "/backups/\(database)/" + manifest.file,
            manifestLocation: "/backups/\(database)/" + stem + BackupName.manifestSuffix)
    }

    public static func backup(_ created: String, check: String = "quick_check ok") -> StoredBackup {
        backup(date(created), check: check)
    }

    /// `backup` as a stored dump of the same time and check.
    public static func dump(_ backup: StoredBackup) -> StoredBackup {
        Self.backup(
            backup.manifest.created, check: backup.manifest.check, database: backup.manifest.database, kind: .dump)
    }

    /// The plan as `time: action reasons` lines, newest first: what an example spells out.
    public static func lines(_ decisions: [RetentionDecision]) -> [String] {
        decisions.map {
            "\(BackupName.iso8601($0.backup.manifest.created).prefix(16)) \($0.action.rawValue) \($0.reasons.joined(separator: ", "))"
        }
    }
}
