import Glibc

/// Staging files: snapshots waiting to be compressed and encrypted, in a private folder.
///
/// The folder must be the running user's and closed to others (`FolderTrust`): the snapshot
/// is plaintext, and SQLite opens it again by its path.
public enum Staging {
    static func path(in folder: String, database: String) -> String {
        let random = (0..<6).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
        return "\(folder)/\(database).\(random).staging"
    }

    /// Opens the staging folder at `path`, making it (0700) if missing, after checking that
    /// nobody but the running user can change it or the folders above it.
    static func folder(_ path: String) throws -> StoreFolder {
        try StoreFolder.openTrusted(path, create: true)
    }

    /// Removes `database`'s staging files left by an interrupted run from the staging folder at
    /// `path` (call with the database's lock held); a missing folder has none.
    public static func removeLeftovers(in path: String, database: String) throws -> [String] {
        guard FileSystem.exists(path) else { return [] }
        return try removeLeftovers(in: folder(path), database: database)
    }

    /// Removes `database`'s staging files left by an interrupted run (called with its lock held).
    @discardableResult
    static func removeLeftovers(in folder: StoreFolder, database: String) throws -> [String] {
        var removed: [String] = []
        for name in try folder.names() where name.hasPrefix(database + ".") {
            // "<database>.<hex>.staging[-journal]": the random part has no dot, so another
            // database whose name starts with this one's is never matched.
            let rest = name.dropFirst(database.count + 1).split(separator: ".", omittingEmptySubsequences: false)
            if rest.count == 2, rest[0].allSatisfy(\.isHexDigit), rest[1] == "staging" || rest[1] == "staging-journal" {
                try folder.remove(name)
                removed.append(folder.path + "/" + name)
            }
        }
        return removed
    }

    static func remove(_ path: String) {
        unlink(path)
        unlink(path + "-journal")
    }
}
