import Glibc

/// Backups as files in a folder: `<root>/<database>/<stem><ext>` and `<stem>.manifest.json`.
public struct DirectoryStore: BackupStore {
    public let root: String

    public init(root: String) { self.root = root }

    public var location: String { root }

    /// The folder holding `database`'s backups.
    public func folder(for database: String) -> String { root + "/" + database }

    public func databases() throws -> [String] {
        guard FileSystem.isDirectory(root) else { throw BackupError.destinationMissing(path: root) }
        return try FileSystem.contents(of: root)
            .filter { !$0.hasPrefix(".") && DatabaseName.isValid($0) && FileSystem.isDirectory(root + "/" + $0) }
            .sorted()
    }

    public func backups(of database: String) throws -> [StoredBackup] {
        try DatabaseName.validate(database)
        let folder = folder(for: database)
        guard FileSystem.isDirectory(folder) else { return [] }
        let names = try FileSystem.contents(of: folder)
        let present = Set(names)
        var found: [StoredBackup] = []
        for name in names where name.hasSuffix(BackupName.manifestSuffix) && !name.hasPrefix(".") {
            let path = folder + "/" + name
            let manifest = try Manifest.decode(FileSystem.readSmallFile(path), path: path)
            // A manifest whose data is gone is a damaged unit; listing it would promise a restore.
            guard present.contains(manifest.file) else { continue }
            found.append(
                StoredBackup(manifest: manifest, dataLocation: folder + "/" + manifest.file, manifestLocation: path))
        }
        return found.sorted { ($0.manifest.created, $0.dataLocation) > ($1.manifest.created, $1.dataLocation) }
    }

    public func isTaken(stem: String, database: String) throws -> Bool {
        let folder = folder(for: database)
        guard FileSystem.isDirectory(folder) else { return false }
        // Any file of that stem (data or manifest), whether or not its manifest is readable.
        return try FileSystem.contents(of: folder).contains { $0.hasPrefix(stem + ".") }
    }

    public func beginBackup(database: String, stem: String, dataExtension: String) throws -> any PendingBackup {
        try DatabaseName.validate(database)
        guard FileSystem.isDirectory(root) else { throw BackupError.destinationMissing(path: root) }
        let folder = folder(for: database)
        try FileSystem.makeDirectory(folder)
        return try DirectoryPendingBackup(folder: folder, stem: stem, dataExtension: dataExtension)
    }

    public func read(_ backup: StoredBackup, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try FileReader(path: backup.dataLocation).forEachChunk(body)
    }

    public func delete(_ backup: StoredBackup) throws {
        let folder = FileSystem.parent(of: backup.manifestLocation)
        try FileSystem.remove(backup.manifestLocation)
        try FileSystem.syncDirectory(folder)
        CrashPoint.pruneAfterManifest.reached()
        try FileSystem.remove(backup.dataLocation)
        try FileSystem.syncDirectory(folder)
    }

    public func lock(database: String) throws -> any StoreLock {
        try DatabaseName.validate(database)
        guard FileSystem.isDirectory(root) else { throw BackupError.destinationMissing(path: root) }
        let folder = folder(for: database)
        try FileSystem.makeDirectory(folder)
        return try FileLock(path: folder + "/.lock", database: database)
    }

    public func removeLeftovers(database: String) throws -> [String] {
        let folder = folder(for: database)
        guard FileSystem.isDirectory(folder) else { return [] }
        let names = try FileSystem.contents(of: folder)
        let manifests = names.filter { $0.hasSuffix(BackupName.manifestSuffix) && !$0.hasPrefix(".") }
        var referenced = Set<String>()
        var allManifestsRead = true
        for name in manifests {
            let path = folder + "/" + name
            if let manifest = try? Manifest.decode(FileSystem.readSmallFile(path), path: path) {
                referenced.insert(manifest.file)
            } else {
                allManifestsRead = false
            }
        }
        var removed: [String] = []
        for name in names {
            let isTemporary = name.hasPrefix(AtomicFile.temporaryPrefix)
            // A data file of ours with no manifest: a backup interrupted before its commit
            // record, or a prune interrupted after removing it.
            // An unreadable manifest might reference any of them: then remove none.
            let isOrphan =
                allManifestsRead && BackupName.isDataFile(name, of: database) && !referenced.contains(name)
            if isTemporary || isOrphan {
                try FileSystem.remove(folder + "/" + name)
                removed.append(folder + "/" + name)
            }
        }
        if !removed.isEmpty { try FileSystem.syncDirectory(folder) }
        return removed
    }
}

/// A backup being written into a folder through two atomic files.
final class DirectoryPendingBackup: PendingBackup {
    private let folder: String
    private let stem: String
    private let data: AtomicFile

    init(folder: String, stem: String, dataExtension: String) throws {
        self.folder = folder
        self.stem = stem
        data = try AtomicFile(directory: folder, finalName: stem + dataExtension)
        data.crashPoints = (.backupBeforePublish, .backupAfterPublish)
    }

    var fileName: String { data.finalName }

    func write(_ bytes: UnsafeRawBufferPointer) throws { try data.write(bytes) }

    func commit(manifest: Manifest) throws -> StoredBackup {
        try data.commit()
        let record = try AtomicFile(directory: folder, finalName: stem + BackupName.manifestSuffix)
        do {
            try record.write(manifest.encoded())
            CrashPoint.backupBeforeManifestPublish.reached()
            try record.commit()
        } catch {
            // Without its manifest the data file is not a backup; don't leave it to look like one.
            record.abandon()
            unlink(data.finalPath)
            throw error
        }
        return StoredBackup(manifest: manifest, dataLocation: data.finalPath, manifestLocation: record.finalPath)
    }

    func abandon() { data.abandon() }
}

/// An exclusive `flock` on a lock file of ours.
final class FileLock: StoreLock {
    private var descriptor: Int32

    init(path: String, database: String) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileSystemError("open lock", path: path) }
        // A lock can outlive its holder by a moment: a child forked by any thread of this
        // process keeps the open file until it execs. Wait briefly before calling it busy.
        var code: Int32 = 0
        for _ in 0..<100 {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return }
            code = errno
            guard code == EWOULDBLOCK || code == EINTR else { break }
            usleep(10_000)
        }
        close(descriptor)
        descriptor = -1
        if code == EWOULDBLOCK || code == EINTR { throw BackupError.alreadyRunning(database: database, lockPath: path) }
        throw FileSystemError("lock", path: path, errno: code)
    }

    func release() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
    }

    deinit { release() }
}
