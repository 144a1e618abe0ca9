import Glibc

/// What the backing-up machine keeps of one database's page store, in a private folder
/// (`<state_directory>/pages`, 0700, closed to others like the staging folder): the page key
/// (`<database>.key`) and the last snapshot's table (`<database>.table`). It has no identity
/// to read either back from the store; losing them costs the next backup a full copy, never data.
public struct PageState {
    public let folderPath: String
    public let database: String

    public init(folder: String, database: String) {
        folderPath = folder
        self.database = database
    }

    private static let keyMagic = Array("LSKEY1\n".utf8)
    private static let tableMagic = Array("LSLAST1\n".utf8)

    /// The database's page key and its name in the store: the one kept here (stored again in
    /// `objects` if the store lacks it), or a new one, stored encrypted in `objects` before it
    /// is kept here.
    public func key(in objects: any PageObjects, encryption: Encryption) throws -> (key: PageKey, name: String) {
        let folder = try StoreFolder.openTrusted(folderPath, create: true)
        let file = database + ".key"
        if folder.contains(file) {
            var reader = ByteReader(try folder.readSmallFile(file, limit: 256), object: folder.path + "/" + file)
            try reader.expect(Self.keyMagic, what: "a page key file")
            let nameSize = Int(try reader.uint32())
            let name = String(decoding: try reader.take(nameSize), as: UTF8.self)
            let key = try PageKey(bytes: Array(try reader.take(PageKey.size)))
            guard BackupName.isPlainName(name), reader.remaining == 0 else {
                throw PageStoreError(
                    .damagedObject, object: folder.path + "/" + file, reason: "it is not a page key file")
            }
            _ = try objects.create(PageStoreLayout.key(name), bytes: try key.sealed(to: encryption))
            return (key, name)
        }
        let key = PageKey.generate()
        let name = PageKey.newName()
        _ = try objects.create(PageStoreLayout.key(name), bytes: try key.sealed(to: encryption))
        var writer = ByteWriter()
        writer.append(Self.keyMagic)
        writer.append(UInt32(name.utf8.count))
        writer.append(Array(name.utf8))
        writer.append(key.bytes)
        try write(writer.bytes, as: file)
        return (key, name)
    }

    /// The last snapshot's table, if it is kept here, was written under `keyName`, and
    /// `stillStored` says its snapshot (by stem) is still in the store (its packs are then kept).
    public func lastTable(keyName: String, stillStored: (String) throws -> Bool) throws -> PageTable? {
        let folder = try StoreFolder.openTrusted(folderPath, create: true)
        let file = database + ".table"
        guard folder.contains(file) else { return nil }
        let path = folder.path + "/" + file
        var reader = ByteReader(try folder.readSmallFile(file, limit: 1 << 34), object: path)
        try reader.expect(Self.tableMagic, what: "a page table file")
        let stemSize = Int(try reader.uint32())
        let stem = String(decoding: try reader.take(stemSize), as: UTF8.self)
        let keySize = Int(try reader.uint32())
        let key = String(decoding: try reader.take(keySize), as: UTF8.self)
        guard key == keyName, try stillStored(stem) else { return nil }
        return try PageTable(encoded: Array(try reader.take(reader.remaining)), object: path)
    }

    /// Keeps `table`, the snapshot `stem`'s, for the next backup.
    public func keep(_ table: PageTable, stem: String, keyName: String) throws {
        var writer = ByteWriter()
        writer.append(Self.tableMagic)
        writer.append(UInt32(stem.utf8.count))
        writer.append(Array(stem.utf8))
        writer.append(UInt32(keyName.utf8.count))
        writer.append(Array(keyName.utf8))
        writer.append(table.encoded())
        try write(writer.bytes, as: database + ".table")
    }

    private func write(_ bytes: [UInt8], as name: String) throws {
        let folder = try FolderDescriptor(path: folderPath)
        let file = try AtomicFile(folder: folder, finalName: name)
        try file.write(bytes)
        try file.commit(replacing: true)
    }
}
