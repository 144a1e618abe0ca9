import Glibc

/// Staging files: snapshots waiting to be compressed and encrypted, in a private folder.
enum Staging {
    static func path(in folder: String, database: String) -> String {
        let random = (0..<6).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
        return "\(folder)/\(database).\(random).staging"
    }

    /// Removes `database`'s staging files left by an interrupted run (called with its lock held).
    static func removeLeftovers(in folder: String, database: String) throws {
        for name in try FileSystem.contents(of: folder) where name.hasPrefix(database + ".") {
            // "<database>.<hex>.staging[-journal]": the random part has no dot, so another
            // database whose name starts with this one's is never matched.
            let rest = name.dropFirst(database.count + 1).split(separator: ".", omittingEmptySubsequences: false)
            if rest.count == 2, rest[0].allSatisfy(\.isHexDigit), rest[1] == "staging" || rest[1] == "staging-journal" {
                try FileSystem.remove(folder + "/" + name)
            }
        }
    }

    static func remove(_ path: String) {
        unlink(path)
        unlink(path + "-journal")
    }
}
