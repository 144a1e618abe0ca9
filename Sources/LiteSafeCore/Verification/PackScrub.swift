import Crypto

/// The packs of one database's page store as a scrub found them: each pack is read once
/// however many snapshots share it, and every snapshot that needs a damaged or missing pack
/// fails naming it.
final class PackScrub {
    private var good: Set<String> = []
    private var bad: [String: PageStoreError] = [:]

    /// Checks every pack `backup` reads (its bytes hash to its name); throws the first failure.
    func check(_ backup: StoredBackup, store: any BackupStore, cancellation: Cancellation?) throws {
        guard let pages = backup.manifest.pages else { return }
        let objects = try store.pageObjects(database: backup.id.database)
        for pack in pages.packs {
            if cancellation?.isCancelled == true { throw BackupError.cancelled(database: backup.id.database) }
            if good.contains(pack) { continue }
            if let failure = bad[pack] { throw failure }
            let object = PageStoreLayout.pack(pack)
            do {
                let stored = try objects.read(object)
                guard SHA256.hash(data: stored).hexString == pack else {
                    throw PageStoreError(
                        .damagedObject, object: object,
                        reason: "its bytes do not hash to its name; snapshots that read it cannot be restored")
                }
                good.insert(pack)
            } catch let error as PageStoreError where error.code == .damagedObject || error.code == .missingObject {
                bad[pack] = error
                throw error
            }
        }
    }
}
