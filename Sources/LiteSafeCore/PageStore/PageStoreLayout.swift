/// Where a database's page store keeps what, by object name (relative to the database's page
/// objects in its store: `<destination>/<database>/pages/` in a folder).
///
/// - `keys/<name>`: a `PageKey`, encrypted to the recipients (a machine that lost its copy
///   of the key starts a new one, since it cannot open the stored one);
/// - `packs/<sha256>.pack`: pages, zstd-compressed and encrypted, named by the SHA-256 of
///   their stored bytes, so a pack is written once and never changes.
///
/// A snapshot itself is a backup like any other in the store: its data file
/// (`<stem>.pages.age`) is the encrypted `PageIndex`, its manifest lists the packs it reads.
public enum PageStoreLayout {
    public static let keysFolder = "keys"
    public static let packsFolder = "packs"

    public static func key(_ name: String) -> String { "\(keysFolder)/\(name)" }
    public static func pack(_ name: String) -> String { "\(packsFolder)/\(name).pack" }

    /// The pack named by the object name `file` in `packsFolder`, or nil.
    public static func packName(ofFile file: String) -> String? {
        guard file.hasSuffix(".pack") else { return nil }
        let name = String(file.dropLast(".pack".count))
        return isPackName(name) ? name : nil
    }

    /// Whether `name` is a pack's name: 64 lower-case hex digits.
    public static func isPackName(_ name: String) -> Bool {
        name.utf8.count == 64 && name.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
