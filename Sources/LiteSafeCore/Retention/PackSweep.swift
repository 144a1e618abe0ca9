import Logging

/// The page store's garbage collection: once a prune has deleted page snapshots (manifests
/// first), the packs no remaining snapshot's manifest names are deleted.
///
/// It runs under the database's lock, so no backup is storing packs its manifest does not
/// name yet; a pack an interrupted backup left is unnamed, and goes too. Deleting is the last
/// step and each deletion is whole: a sweep cut short leaves packs the next one removes.
enum PackSweep {
    /// Deletes the packs of `database`'s page store that no listed backup names; returns how
    /// many. With a damaged manifest in the listing it deletes nothing: that snapshot's packs
    /// are unknown.
    @discardableResult
    static func sweep(_ database: String, in store: any BackupStore, logger: Logger) throws -> Int {
        let listing = try store.listing(of: database)
        guard listing.damaged.isEmpty else {
            logger.warning(
                "kept every pack of '\(database)': \(listing.damaged.count) damaged manifest(s) may name some; repair or remove them",
                metadata: [LogKey.database: "\(database)"])
            return 0
        }
        let named = Set(listing.backups.flatMap { $0.manifest.pages?.packs ?? [] })
        let objects = try store.pageObjects(database: database)
        var removed = 0
        for file in try objects.names(in: PageStoreLayout.packsFolder) {
            guard let pack = PageStoreLayout.packName(ofFile: file), !named.contains(pack) else { continue }
            try objects.delete(PageStoreLayout.pack(pack))
            removed += 1
            CrashPoint.pruneDuringPackSweep.reached()
        }
        if removed > 0 {
            logger.info(
                "removed \(removed) pack(s) of '\(database)' that no kept snapshot reads",
                metadata: [LogKey.database: "\(database)"])
        }
        return removed
    }
}
