import Foundation
import LiteSafeCore
import S3

extension S3Store {
    /// A HEAD of the data object: its size, and its SHA-256 when the service keeps the object's
    /// own (written in one PUT with `x-amz-checksum-sha256`). A multipart upload's checksum is a
    /// checksum of its parts' checksums (`…-N`), which no whole-file hash can be compared with,
    /// so it gives none; the service checked each part's when it took it.
    public func storedFacts(of backup: StoredBackup) throws -> StoredFacts {
        let file = try BackupName.dataFile(of: backup, manifestLocation: manifestLocation(of: backup))
        guard let head = try client().head(key: folder(backup.id.database) + file, checksums: true) else {
            throw FileSystemError("read", path: backup.dataLocation, errno: ENOENT)
        }
        // A multipart object's ETag ends in `-N` (its part count); its checksum is a composite.
        let multipart = head.etag.replacingOccurrences(of: "\"", with: "").contains("-")
        return StoredFacts(
            size: head.size, sha256: multipart ? nil : head.checksumSHA256.flatMap(Self.wholeObjectSHA256))
    }

    /// The hex SHA-256 in a one-PUT object's `x-amz-checksum-sha256`, or nil if it is not one.
    static func wholeObjectSHA256(_ checksum: String) -> String? {
        guard !checksum.contains("-"), let bytes = Data(base64Encoded: checksum), bytes.count == 32 else { return nil }
        return SigV4Signer.hex(bytes)
    }
}
