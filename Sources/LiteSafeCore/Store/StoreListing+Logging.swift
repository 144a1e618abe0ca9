import Logging

extension Leftovers {
    /// Logs each removed leftover (notice) and each data file kept for want of a manifest (warning).
    public func log(database: String, logger: Logger) {
        let metadata: Logger.Metadata = [LogKey.database: "\(database)"]
        for path in removed {
            logger.log(
                .leftoverRemoved, level: .notice, "removed \(path), left by an interrupted run",
                metadata: metadata.merging([LogKey.path: "\(path)"]) { $1 })
        }
        for path in kept {
            logger.warning(
                "\(path) has no manifest and no interrupted run of LiteSafe left it (it was copied in, or its manifest was moved away): it is not listed or restored, and it was kept; put its manifest back beside it, or move it out of the store",
                metadata: metadata.merging([LogKey.path: "\(path)"]) { $1 })
        }
    }
}

extension StoreListing {
    /// Logs each damaged manifest (warning): the backups it stood for are not listed, restored or pruned.
    public func logDamaged(database: String, logger: Logger, wording: ErrorWording = .plain) {
        for manifest in damaged {
            logger.warning(
                "\(wording(manifest))",
                metadata: [LogKey.database: "\(database)", LogKey.path: "\(manifest.location)"])
        }
    }
}
