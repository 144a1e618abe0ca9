import Age
import Crypto
import Foundation
import Logging
import SQLite
import Zstd

/// What to restore from.
public enum RestoreSource: Sendable {
    /// A backup in a store, with its manifest.
    case stored(StoredBackup, store: any BackupStore)
    /// A lone file (`.sqlite.zst.age`, `.zst`, `.age`, or a plain database), with its manifest if one was found.
    case file(path: String, manifest: Manifest?)
}

/// What a restore did.
public struct RestoreResult: Sendable {
    public let output: String
    public let plaintextSize: Int64
    /// False when there was no manifest, so no hash to check against.
    public let hashChecked: Bool
    public let walMode: Bool
}

/// Turns a backup back into a database file, all-or-nothing: OUT is created or replaced only
/// by a complete file that matched its manifest and passed `integrity_check`.
///
/// The work happens in a private folder (`RestoreWorkspace`) made beside OUT, and every file
/// operation goes through descriptors of OUT's folder, that folder and the file: OUT's folder
/// may be writable by the application's user, and a restore often runs as root.
public struct RestoreEngine: Sendable {
    /// The largest database a restore without a manifest will write (a decompression bomb stops here).
    public var maxSize: Int64 = 1 << 40

    public init() {}

    /// Restores `source` to `output`; a set `cancellation` stops it between reads with
    /// `BackupError.cancelled`, leaving OUT as it was.
    public func restore(
        _ source: RestoreSource, identities: [any AgeIdentity], to output: String, force: Bool,
        cancellation: Cancellation? = nil, logger: Logger
    ) throws -> RestoreResult {
        let name = FileSystem.basename(of: output)
        // Opened once, refusing a symlink: every later step names its entries through it.
        let folder = try FolderDescriptor(path: FileSystem.parent(of: output), operation: "restore into")
        let existing = try folder.status(of: name)
        if let existing {
            guard force else { throw BackupError.outputExists(path: output) }
            if existing.isSymlink { throw FileSystemError("replace", path: output, errno: ELOOP) }
            if !existing.isRegularFile {
                throw FileSystemError("replace", path: output, errno: existing.isDirectory ? EISDIR : EINVAL)
            }
            let holders = OpenFiles.processes(holding: [output, output + "-wal", output + "-shm", output + "-journal"])
            if !holders.isEmpty { throw BackupError.outputInUse(path: output, processes: holders) }
        }

        let manifest: Manifest? =
            switch source {
            case .stored(let backup, _): backup.manifest
            case .file(_, let manifest): manifest
            }
        RestoreWorkspace.removeLeftovers(in: folder, for: name)
        let workspace = try RestoreWorkspace(in: folder, for: output)
        defer { workspace.remove() }
        let file = try AtomicFile(folder: workspace.folder, finalName: name)
        defer { file.abandon() }

        let limit = min(manifest?.plaintextSize ?? maxSize, folder.availableBytes() ?? .max)
        // A captured snapshot's manifest hashes its first page and the rest apart.
        let split = manifest.flatMap { $0.firstPageSHA256 == nil ? nil : $0.pageSize }
        let decoded: Decoded
        if let manifest, manifest.pages != nil {
            switch source {
            case .stored(let backup, let store):
                decoded = try decodePages(
                    manifest, at: backup.dataLocation, read: { try store.read(backup, $0) },
                    objects: { try store.pageObjects(database: backup.id.database) }, identities: identities,
                    limit: limit, into: file)
            case .file(let path, _):
                // A data file named by its path, in its database's folder: the packs are in
                // `pages/` beside it (a folder store's layout).
                let pages = FileSystem.parent(of: path) + "/" + DirectoryStore.pagesFolder
                guard FileSystem.isDirectory(pages) else {
                    throw RestoreError.pagesNeedTheirStore(source: path)
                }
                decoded = try decodePages(
                    manifest, at: path, read: { try FileReader(path: path).forEachChunk($0) },
                    objects: { try FolderPageObjects(path: pages, creating: false) }, identities: identities,
                    limit: limit, into: file)
            }
        } else {
            decoded = try decode(
                source, identities: identities, limit: limit, into: file, cancellation: cancellation,
                name: manifest?.database ?? name, availableBytes: folder.availableBytes(), splitAt: split)
        }
        if let manifest {
            let expected = [manifest.plaintextSHA256, manifest.firstPageSHA256, manifest.afterFirstPageSHA256]
                .compactMap { $0 }
            if decoded.digests != expected {
                throw BackupError.hashMismatch(
                    path: sourceDescription(source), expected: expected.joined(separator: " "),
                    actual: decoded.digests.joined(separator: " "))
            }
        }
        try check(file, in: workspace, output: output)
        // A dump was loaded by SQLite into the file: its size is the database's, not the text's.
        let size = decoded.isDump ? try file.currentSize() : decoded.size
        let walMode = (decoded.isDump ? decoded.wantsWAL : manifest?.walMode ?? false) && size >= DatabaseHeader.size
        if walMode {
            // Bytes 18 and 19 (file format write and read versions) set to 2 are what WAL mode
            // is on disk (fileformat2.html, section 1.3.3). Written here rather than by
            // `PRAGMA journal_mode=WAL`, which needs a read-write open, and a read-write open
            // replays a hot journal it finds by path.
            try file.overwrite([2, 2], at: 18)
        }
        if let existing {
            // On the open file, before it has a name anyone else can reach. Only root may give
            // a file away; anyone else keeps their own ownership. Set-id bits are not copied.
            if geteuid() == 0 { try file.setOwner(existing.st_uid, group: existing.st_gid) }
            try file.setMode(existing.st_mode & 0o777)
        }
        // Everything that can fail happens before OUT's stale files go.
        try file.sync()
        let current = try folder.status(of: name)
        if let existing {
            guard let current, current.isSameFile(as: existing), !current.isSymlink else {
                throw RestoreError.outputChanged(path: output)
            }
            // A stale WAL beside the new file would be replayed into it: remove it first.
            for suffix in ["-wal", "-shm", "-journal"] { try folder.remove(name + suffix) }
        } else if current != nil {
            throw force ? RestoreError.outputChanged(path: output) : BackupError.outputExists(path: output)
        }
        try file.commit(replacing: existing != nil, into: folder)
        logger.info("restored \(sourceDescription(source)) to \(output) (\(ByteCount(size)))")
        return RestoreResult(output: output, plaintextSize: size, hashChecked: manifest != nil, walMode: walMode)
    }

    private func sourceDescription(_ source: RestoreSource) -> String {
        switch source {
        case .stored(let backup, _): backup.dataLocation
        case .file(let path, _): path
        }
    }

    /// What `decode` produced: the plaintext's size and SHA-256 (or, split, those of its first
    /// page and of the rest), and for a SQL dump what loading it asked for.
    private struct Decoded {
        let size: Int64
        let digests: [String]
        /// Whether the plaintext was a SQL dump, loaded (and its connection closed) by now.
        let isDump: Bool
        let wantsWAL: Bool
    }

    /// Decrypts and decompresses as the bytes say (age header, zstd magic), hashing the result;
    /// a plaintext that is SQL text (a dump, ours or `sqlite3 .dump`'s) is loaded into the file
    /// by `DumpRestore` instead of written to it. A set `cancellation` stops it with
    /// `BackupError.cancelled(database: name)`.
    private func decode(
        _ source: RestoreSource, identities: [any AgeIdentity], limit: Int64, into file: AtomicFile,
        cancellation: Cancellation?, name: String, availableBytes: Int64? = nil, splitAt: Int? = nil
    ) throws -> Decoded {
        var hash = SHA256()
        // With `splitAt`, `hash` takes the first `splitAt` bytes and `rest` the others.
        var rest = SHA256()
        var size: Int64 = 0
        var head: [UInt8] = []
        var declared: Int64?
        let write: (UnsafeRawBufferPointer) throws -> Void = { bytes in
            if cancellation?.isCancelled == true { throw BackupError.cancelled(database: name) }
            if head.count < DatabaseHeader.size {
                head.append(contentsOf: bytes.prefix(DatabaseHeader.size - head.count))
                if head.count == DatabaseHeader.size {
                    // Known after 100 bytes: stop a stream that is no database, or one that
                    // runs past the size its header declares, before it fills the disk.
                    guard let header = DatabaseHeader(head) else {
                        throw RestoreError.notADatabase(source: sourceDescription(source))
                    }
                    declared = header.declaredSize
                }
            }
            size += Int64(bytes.count)
            if let declared, size > declared {
                throw RestoreError.longerThanHeader(source: sourceDescription(source), declaredBytes: declared)
            }
            if size > limit { throw Decompressor.Failure.outputLimitExceeded(limit: limit) }
            if let splitAt {
                let before = size - Int64(bytes.count)
                let firstCount = Int(max(0, min(Int64(bytes.count), Int64(splitAt) - before)))
                hash.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[..<firstCount]))
                rest.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[firstCount...]))
            } else {
                hash.update(bufferPointer: bytes)
            }
            try file.write(bytes)
        }
        var dump: DumpRestore?
        let contentStage = Sniffer { head in
            guard DumpRestore.looksLikeSQL(head) else { return write }
            let loader = try DumpRestore(databaseAt: file.temporaryPath, maxBytes: availableBytes)
            dump = loader
            return { bytes in
                if cancellation?.isCancelled == true { throw BackupError.cancelled(database: name) }
                size += Int64(bytes.count)
                if size > limit { throw Decompressor.Failure.outputLimitExceeded(limit: limit) }
                hash.update(bufferPointer: bytes)
                try loader.feed(bytes)
            }
        }
        var decompressor: Decompressor?
        let plaintextStage = Sniffer { head in
            if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) {
                let d = try Decompressor(limit: limit)
                decompressor = d
                return { try d.update($0, into: contentStage.feed) }
            }
            return contentStage.feed
        }
        var decryptor: AgeDecryptor?
        let storedStage = Sniffer { head in
            if head.starts(with: Array("age-encryption.org/".utf8)) || head.starts(with: Array("-----BEGIN AGE".utf8)) {
                let d = AgeDecryptor(identities: identities)
                decryptor = d
                return { try d.update($0, into: plaintextStage.feed) }
            }
            return plaintextStage.feed
        }
        switch source {
        case .stored(let backup, let store): try store.read(backup, storedStage.feed)
        case .file(let path, _): try FileReader(path: path).forEachChunk(storedStage.feed)
        }
        try storedStage.finish()
        try decryptor?.finish(into: plaintextStage.feed)
        try plaintextStage.finish()
        try decompressor?.finish()
        try contentStage.finish()
        try dump?.finish()
        let digests = [hash.finalize().hexString] + (splitAt == nil ? [] : [rest.finalize().hexString])
        return Decoded(size: size, digests: digests, isDump: dump != nil, wantsWAL: dump?.wantsWAL ?? false)
    }

    /// Rebuilds a page snapshot into `file` from its index (the backup's data file) and the
    /// packs of its store (`PageSnapshotRestorer`: every page checked against its ID, the file
    /// against the database's hashes).
    private func decodePages(
        _ manifest: Manifest, at location: String,
        read: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void, objects: () throws -> any PageObjects,
        identities: [any AgeIdentity], limit: Int64, into file: AtomicFile
    ) throws -> Decoded {
        // An index is a few MiB at most (16 bytes a run, 32 a pack); its size is the manifest's.
        let maximum: Int64 = 256 << 20
        guard manifest.storedSize <= maximum else {
            throw BackupError.sizeMismatch(path: location, expected: maximum, actual: manifest.storedSize)
        }
        if manifest.plaintextSize > limit {
            throw Decompressor.Failure.outputLimitExceeded(limit: limit)
        }
        var sealed: [UInt8] = []
        try read { bytes in
            sealed.append(contentsOf: bytes)
            if sealed.count > maximum {
                throw BackupError.sizeMismatch(path: location, expected: maximum, actual: Int64(sealed.count))
            }
        }
        let restored = try PageSnapshotRestorer.restore(
            sealedIndex: sealed, object: location, from: try objects(), identities: identities,
            into: file.descriptor, path: file.temporaryPath)
        return Decoded(
            size: restored.size, digests: [restored.firstPageSHA256, restored.afterFirstPageSHA256], isDump: false,
            wantsWAL: false)
    }

    /// Runs `integrity_check` on the restored copy (with untrusted schema: a hostile backup's
    /// views and triggers must not run functions), and makes sure the file SQLite checked is
    /// the copy this restore wrote.
    ///
    /// `immutable=1` opens it read-only and without looking for a `-journal` or `-wal`:
    /// nothing beside the copy is replayed into it. SQLite opens by path, and whoever can write
    /// OUT's folder can rename the private folder and put another in its place; so the check
    /// counts only if a descriptor SQLite holds is the copy's inode.
    private func check(_ file: AtomicFile, in workspace: RestoreWorkspace, output: String) throws {
        let path = file.temporaryPath
        do {
            let connection = try Connection(
                path: "file:" + Self.uriEscaped(path) + "?immutable=1", options: [.readOnly, .noFollow, .uri])
            try connection.execute("PRAGMA trusted_schema=OFF")
            let results = try connection.column("PRAGMA integrity_check")
            guard results == ["ok"] else {
                throw BackupError.restoredCheckFailed(path: output, details: results.prefix(5).joined(separator: "; "))
            }
            try withExtendedLifetime(connection) {
                guard Self.processHolds(file.identity, besides: file.descriptor) else {
                    throw RestoreError.folderChanged(path: output)
                }
            }
        } catch let error as SQLiteError {
            // SQLite found no file, or a damaged one, where the private folder was.
            if !workspace.isInPlace { throw RestoreError.folderChanged(path: output) }
            throw BackupError.restoredCheckFailed(path: output, details: error.message)
        } catch let error as BackupError where error.code == .restoredCheckFailed {
            if !workspace.isInPlace { throw RestoreError.folderChanged(path: output) }
            throw error
        }
    }

    /// `path` as the path part of a `file:` URI (RFC 3986 escapes for what would end it).
    static func uriEscaped(_ path: String) -> String {
        path.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "?", with: "%3F")
            .replacingOccurrences(of: "#", with: "%23")
    }

    /// Whether a descriptor of this process other than `own` is open on the file `identity`.
    private static func processHolds(_ identity: stat, besides own: Int32) -> Bool {
        guard let descriptors = try? FileSystem.contents(of: "/proc/self/fd") else { return false }
        for entry in descriptors {
            guard let fd = Int32(entry), fd != own else { continue }
            var info = stat()
            if fstat(fd, &info) == 0, info.isSameFile(as: identity) { return true }
        }
        return false
    }
}

/// Holds back the first bytes of a stream until it can tell what they are, then hands the
/// whole stream to the stage `choose` picks.
final class Sniffer {
    private var head: [UInt8] = []
    private var next: ((UnsafeRawBufferPointer) throws -> Void)?
    private let choose: ([UInt8]) throws -> (UnsafeRawBufferPointer) throws -> Void
    private let needed = 32

    init(_ choose: @escaping ([UInt8]) throws -> (UnsafeRawBufferPointer) throws -> Void) {
        self.choose = choose
    }

    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        if let next { return try next(bytes) }
        head.append(contentsOf: bytes)
        if head.count >= needed { try release() }
    }

    func finish() throws {
        if next == nil { try release() }
    }

    private func release() throws {
        let stage = try choose(head)
        next = stage
        let held = head
        head = []
        try held.withUnsafeBytes { try stage($0) }
    }
}
