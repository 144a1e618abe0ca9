/// The page store's storage seam: named immutable objects in one database's page store, as a
/// folder or a bucket keeps them.
///
/// Names are `PageStoreLayout`'s: a folder and a file name, or a single name. An object is
/// written whole and once (`create` never replaces), which is all packs, indexes and manifests
/// need, and what a bucket does with `If-None-Match: *`.
public protocol PageObjects: Sendable {
    /// Stores `bytes` under `name` durably; false (and nothing changed) when `name` exists.
    func create(_ name: String, bytes: [UInt8]) throws -> Bool

    /// The bytes stored under `name`; throws `PageStoreError` `.missingObject` when there are none.
    func read(_ name: String) throws -> [UInt8]

    /// The names of the objects in `folder` (`PageStoreLayout.packsFolder`, …), in no order.
    func names(in folder: String) throws -> [String]

    /// Removes `name`; a missing object is not an error.
    func delete(_ name: String) throws
}
