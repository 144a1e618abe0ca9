import Foundation

extension Manifest {
    /// A manifest for a backup of `job`: what the job decides (its database, source, compression,
    /// encryption) filled in from it, the rest from what the backup produced.
    init(
        job: BackupJob, format: Int = Manifest.currentFormat, created: Date, file: String, sqliteVersion: String,
        pageSize: Int, pageCount: Int, walMode: Bool, plaintextSize: Int64, plaintextSHA256: String?,
        firstPageSHA256: String? = nil, afterFirstPageSHA256: String? = nil, storedSize: Int64,
        storedSHA256: String, check: String, kind: BackupKind? = nil, pages: PageFacts? = nil
    ) {
        self.init(
            format: format, database: job.name, sourcePath: job.sourcePath, created: created, file: file,
            sqliteVersion: sqliteVersion, pageSize: pageSize, pageCount: pageCount, walMode: walMode,
            plaintextSize: plaintextSize, plaintextSHA256: plaintextSHA256, firstPageSHA256: firstPageSHA256,
            afterFirstPageSHA256: afterFirstPageSHA256, storedSize: storedSize, storedSHA256: storedSHA256,
            compression: job.compression.description, encryption: job.encryption.isEncrypted ? "age" : "none",
            recipients: job.encryption.recipientStrings, check: check, litesafeVersion: LiteSafeVersion.current,
            kind: kind, pages: pages)
    }
}
