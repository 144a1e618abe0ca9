import Foundation
import LiteSafeCore
import TestTools

extension Manifest {
    /// Whether the database file at `path` is the one this manifest describes: its whole SHA-256
    /// (format 1), or that of its first page and that of the rest (format 2, a captured
    /// snapshot), each computed by `sha256sum` as an operator would by hand.
    public func describesDatabase(at path: String) throws -> Bool {
        guard let first = firstPageSHA256, let rest = afterFirstPageSHA256 else {
            return try Fixtures.sha256(path) == plaintextSHA256
        }
        let head = try Subprocess.run("/bin/sh", ["-c", "head -c \(pageSize) \"$0\" | sha256sum", path])
        let tail = try Subprocess.run("/bin/sh", ["-c", "tail -c +\(pageSize + 1) \"$0\" | sha256sum", path])
        return head.output.prefix(64) == first && tail.output.prefix(64) == rest
    }
}
