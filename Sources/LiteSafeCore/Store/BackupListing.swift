import Foundation

/// How `list` shows backups, and how a lone file finds its manifest.
public enum BackupListing {
    /// A fixed-width table, newest first, one row per backup.
    public static func table(_ backups: [StoredBackup]) -> String {
        let header = ["DATABASE", "CREATED (UTC)", "DATABASE SIZE", "STORED", "CHECK", "FILE"]
        let rows = backups.map { b -> [String] in
            let m = b.manifest
            return [
                m.database, String(BackupName.iso8601(m.created).prefix(19)).replacingOccurrences(of: "T", with: " "),
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

    /// A JSON array: each backup's manifest plus `data_path` and `manifest_path`.
    public static func json(_ backups: [StoredBackup]) throws -> String {
        var objects: [Any] = []
        for backup in backups {
            guard var object = try JSONSerialization.jsonObject(with: Data(backup.manifest.encoded())) as? [String: Any]
            else { continue }
            object["data_path"] = backup.dataLocation
            object["manifest_path"] = backup.manifestLocation
            objects.append(object)
        }
        let data = try JSONSerialization.data(
            withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// The manifest beside `path` that describes it, if any (a file copied out of a store
    /// with its manifest keeps its hash check).
    public static func manifest(describing path: String) throws -> Manifest? {
        let folder = FileSystem.parent(of: path)
        let name = FileSystem.basename(of: path)
        guard let names = try? FileSystem.contents(of: folder) else { return nil }
        for candidate in names where candidate.hasSuffix(BackupName.manifestSuffix) {
            let manifestPath = folder + "/" + candidate
            if let manifest = try? Manifest.decode(
                FileSystem.readSmallFile(manifestPath, limit: Manifest.maximumSize), path: manifestPath),
                manifest.file == name
            {
                return manifest
            }
        }
        return nil
    }
}
