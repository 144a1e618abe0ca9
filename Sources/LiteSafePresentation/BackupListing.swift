import Foundation
import LiteSafeCore

/// How `list` shows backups: a table for people, JSON for scripts.
public enum BackupListing {
    /// A fixed-width table, newest first, one row per backup; KIND tells snapshots from stored dumps.
    public static func table(_ backups: [StoredBackup]) -> String {
        let header = ["DATABASE", "KIND", "CREATED (UTC)", "DATABASE SIZE", "STORED", "CHECK", "FILE"]
        let rows = backups.map { b -> [String] in
            let m = b.manifest
            return [
                m.database, m.backupKind.rawValue,
                String(BackupName.iso8601(m.created).prefix(19)).replacingOccurrences(of: "T", with: " "),
                ByteCount(m.plaintextSize).description, ByteCount(m.storedSize).description, m.check, m.file,
            ].map(\.escapingControlCharacters)  // a manifest is text anyone with write access to the store wrote
        }
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// A JSON array: each backup's manifest plus `data_path` and `manifest_path`, and `kind`
    /// (`snapshot` or `dump`) even where the manifest leaves it out.
    public static func json(_ backups: [StoredBackup]) throws -> String {
        var objects: [Any] = []
        for backup in backups {
            guard var object = try JSONSerialization.jsonObject(with: Data(backup.manifest.encoded())) as? [String: Any]
            else { continue }
            object["kind"] = backup.manifest.backupKind.rawValue
            object["data_path"] = backup.dataLocation
            object["manifest_path"] = backup.manifestLocation
            objects.append(object)
        }
        let data = try JSONSerialization.data(
            withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
