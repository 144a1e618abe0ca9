/// What a page snapshot's manifest records beyond any backup's (`Manifest.pages`): the packs
/// it reads, so a prune on a machine with no identity keeps exactly the packs some retained
/// snapshot needs, and what the snapshot cost.
public struct PageFacts: Codable, Sendable, Equatable {
    /// The `PageKey`'s name in the store.
    public var key: String
    /// Every pack the snapshot reads (`PageStoreLayout.pack`).
    public var packs: [String]
    /// How many of those this snapshot added, and their stored bytes.
    public var newPacks: Int
    public var newBytes: Int64
    /// Pages stored anew, and pages found unchanged since the previous snapshot.
    public var newPages: Int
    public var reusedPages: Int
    /// Of `newPages`, those unchanged but moved out of packs mostly garbage or small
    /// (`PageSnapshotWriter.rewriting`); nil in manifests written before repacking.
    public var rewrittenPages: Int?

    enum CodingKeys: String, CodingKey {
        case key, packs
        case newPacks = "new_packs"
        case newBytes = "new_bytes"
        case newPages = "new_pages"
        case reusedPages = "reused_pages"
        case rewrittenPages = "rewritten_pages"
    }
}
