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

    /// The last snapshot's pages, read from the table kept here as the writer asks for them (a
    /// table is 40 bytes a page, never held whole), if it was written under `keyName` and
    /// `stillStored` says its snapshot (by stem) is still in the store (its packs are then kept).
    public func lastPages(keyName: String, stillStored: (String) throws -> Bool) throws -> (any PreviousPages)? {
        let folder = try StoreFolder.openTrusted(folderPath, create: true)
        let file = database + ".table"
        guard folder.contains(file) else { return nil }
        let path = folder.path + "/" + file
        let reader = try BufferedReader(fd: try folder.openFile(file), path: path)
        func word() throws -> UInt32 {
            try reader.take(4).withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        }
        guard try reader.take(Self.tableMagic.count) == Self.tableMagic else {
            throw PageStoreError(.damagedObject, object: path, reason: "it is not a page table file")
        }
        let stemSize = Int(try word())
        guard stemSize <= 256 else {
            throw PageStoreError(.damagedObject, object: path, reason: "its stem is too long")
        }
        let stem = String(decoding: try reader.take(stemSize), as: UTF8.self)
        let keySize = Int(try word())
        guard keySize <= 64 else {
            throw PageStoreError(.damagedObject, object: path, reason: "its key name is too long")
        }
        let key = String(decoding: try reader.take(keySize), as: UTF8.self)
        guard key == keyName, try stillStored(stem) else { return nil }
        return try KeptPages(reader: reader, object: path)
    }

    /// Keeps `table`, the snapshot `stem`'s, for the next backup.
    public func keep(_ table: PageTable, stem: String, keyName: String) throws {
        var writer = ByteWriter()
        writer.append(Self.tableMagic)
        writer.append(UInt32(stem.utf8.count))
        writer.append(Array(stem.utf8))
        writer.append(UInt32(keyName.utf8.count))
        writer.append(Array(keyName.utf8))
        let folder = try FolderDescriptor(path: folderPath)
        let file = try AtomicFile(folder: folder, finalName: database + ".table")
        try file.write(writer.bytes)
        try table.encode { try file.write($0) }
        try file.commit(replacing: true)
    }

    private func write(_ bytes: [UInt8], as name: String) throws {
        let folder = try FolderDescriptor(path: folderPath)
        let file = try AtomicFile(folder: folder, finalName: name)
        try file.write(bytes)
        try file.commit(replacing: true)
    }
}

/// Bytes read from a file in order, 1 MiB at a time, never the whole file at once.
private final class BufferedReader {
    private let fd: Int32
    private let path: String
    private var buffer: [UInt8] = []
    private var position = 0
    private(set) var remaining: Int

    init(fd: Int32, path: String) throws {
        self.fd = fd
        self.path = path
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw FileSystemError("inspect", path: path)
        }
        remaining = Int(info.st_size)
    }

    deinit { close(fd) }

    /// The next `count` bytes; throws past the end.
    func take(_ count: Int) throws -> [UInt8] {
        guard count <= remaining else {
            throw PageStoreError(.damagedObject, object: path, reason: "it ends early")
        }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            if position == buffer.count {
                buffer = [UInt8](repeating: 0, count: 1 << 20)
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    throw n == 0
                        ? PageStoreError(.damagedObject, object: path, reason: "it ends early")
                        : PageStoreError(
                            .storeFailed, object: path, reason: "it cannot be read",
                            cause: FileSystemError("read", path: path))
                }
                buffer.removeSubrange(n...)
                position = 0
            }
            let n = min(count - out.count, buffer.count - position)
            out.append(contentsOf: buffer[position..<position + n])
            position += n
        }
        remaining -= count
        return out
    }
}

/// A kept table read as a writer asks for it: page 1's entry first, then in ascending order.
private final class KeptPages: PreviousPages {
    let pageSize: Int
    let packs: [String]
    let slots: [UInt32]
    let live: [UInt32]
    let pageCount: Int
    private let reader: BufferedReader
    private let object: String
    private let first: PageTable.Entry?
    /// The index of the next entry `reader` gives.
    private var next = 1

    init(reader: BufferedReader, object: String) throws {
        self.reader = reader
        self.object = object
        (pageSize, packs, slots, live, pageCount) = try PageTable.header(
            reading: reader.take, remaining: { reader.remaining }, object: object)
        first =
            pageCount > 0
            ? try PageTable.entry(try reader.take(PageTable.entrySize), packs: packs.count, object: object) : nil
    }

    func entry(_ index: Int) throws -> PageTable.Entry? {
        if index == 0 { return first }
        guard index >= next, index < pageCount else { return nil }
        while next < index {
            _ = try reader.take(PageTable.entrySize)
            next += 1
        }
        next += 1
        return try PageTable.entry(try reader.take(PageTable.entrySize), packs: packs.count, object: object)
    }
}
