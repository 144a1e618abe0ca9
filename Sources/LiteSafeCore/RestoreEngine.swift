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
        let folder = FileSystem.parent(of: output)
        let name = FileSystem.basename(of: output)
        // OUT's folder swapped for a symlink would otherwise be followed for the temporary file
        // and then refused by SQLite's no-follow open, reported as a failed integrity check.
        if FileSystem.isSymlink(folder) { throw FileSystemError("restore into", path: folder, errno: ELOOP) }
        guard FileSystem.isDirectory(folder) else { throw FileSystemError("restore into", path: folder, errno: ENOENT) }
        if FileSystem.exists(output) {
            guard force else { throw BackupError.outputExists(path: output) }
            if FileSystem.isSymlink(output) { throw FileSystemError("replace", path: output, errno: ELOOP) }
            let holders = OpenFiles.processes(holding: [output, output + "-wal", output + "-shm", output + "-journal"])
            if !holders.isEmpty { throw BackupError.outputInUse(path: output, processes: holders) }
        }

        let manifest: Manifest? =
            switch source {
            case .stored(let backup, _): backup.manifest
            case .file(_, let manifest): manifest
            }
        let limit = min(manifest?.plaintextSize ?? maxSize, FileSystem.availableBytes(folder) ?? .max)
        let file = try AtomicFile(directory: folder, finalName: name)
        do {
            let (size, digest) = try decode(
                source, identities: identities, limit: limit, into: file, cancellation: cancellation,
                name: manifest?.database ?? name)
            if let manifest, digest != manifest.plaintextSHA256 {
                throw BackupError.hashMismatch(
                    path: sourceDescription(source), expected: manifest.plaintextSHA256, actual: digest)
            }
            let walMode = try check(file.temporaryPath, restoreWAL: manifest?.walMode ?? false)
            // Everything that can fail happens before OUT's stale files go.
            try file.sync()
            if force {
                try FileSystem.copyOwnership(from: output, to: file.temporaryPath)
                // A stale WAL beside the new file would be replayed into it: remove it first.
                for suffix in ["-wal", "-shm", "-journal"] { try FileSystem.remove(output + suffix) }
            }
            try file.commit(replacing: force)
            logger.info("restored \(sourceDescription(source)) to \(output) (\(ByteCount(size)))")
            return RestoreResult(output: output, plaintextSize: size, hashChecked: manifest != nil, walMode: walMode)
        } catch {
            file.abandon()
            for suffix in ["-wal", "-shm", "-journal"] { unlink(file.temporaryPath + suffix) }
            throw error
        }
    }

    private func sourceDescription(_ source: RestoreSource) -> String {
        switch source {
        case .stored(let backup, _): backup.dataLocation
        case .file(let path, _): path
        }
    }

    /// Decrypts and decompresses as the bytes say (age header, zstd magic), hashing the result.
    /// A set `cancellation` stops it with `BackupError.cancelled(database: name)`.
    private func decode(
        _ source: RestoreSource, identities: [any AgeIdentity], limit: Int64, into file: AtomicFile,
        cancellation: Cancellation?, name: String
    ) throws -> (Int64, String) {
        var hash = SHA256()
        var size: Int64 = 0
        let write: (UnsafeRawBufferPointer) throws -> Void = { bytes in
            if cancellation?.isCancelled == true { throw BackupError.cancelled(database: name) }
            size += Int64(bytes.count)
            if size > limit { throw Decompressor.Failure.outputLimitExceeded(limit: limit) }
            hash.update(bufferPointer: bytes)
            try file.write(bytes)
        }
        var decompressor: Decompressor?
        let plaintextStage = Sniffer { head in
            if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) {
                let d = try Decompressor(limit: limit)
                decompressor = d
                return { try d.update($0, into: write) }
            }
            return write
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
        return (size, hash.finalize().hexString)
    }

    /// Runs `integrity_check` on the restored copy (with untrusted schema: a hostile backup's
    /// views and triggers must not run functions), and puts it back in WAL mode if asked.
    private func check(_ path: String, restoreWAL: Bool) throws -> Bool {
        let connection: Connection
        do {
            connection = try Connection(path: path, options: [.readWrite, .noFollow])
            try connection.execute("PRAGMA trusted_schema=OFF")
            let results = try connection.column("PRAGMA integrity_check")
            guard results == ["ok"] else {
                throw BackupError.restoredCheckFailed(path: path, details: results.prefix(5).joined(separator: "; "))
            }
        } catch let error as SQLiteError {
            throw BackupError.restoredCheckFailed(path: path, details: error.message)
        }
        if restoreWAL {
            try connection.execute("PRAGMA journal_mode=WAL")
        }
        return restoreWAL
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
