import Glibc

/// Backups as files in a folder: `<root>/<database>/<stem><ext>` and `<stem>.manifest.json`.
///
/// Every file operation goes through a descriptor of the database's folder, opened once
/// without following a symlink. Anything that changes the store (a backup, a prune, a cleanup,
/// all under the per-database lock) first checks that the store and the database's folder
/// belong to the user LiteSafe runs as and that nobody else can write them (`FolderTrust`).
public struct DirectoryStore: BackupStore {
    public let root: String

    public init(root: String) { self.root = root }

    public var location: String { root }
    public var fillsReservedStart: Bool { true }

    /// The folder holding `database`'s backups.
    public func folder(for database: String) -> String { root + "/" + database }

    public func location(of database: String) -> String { folder(for: database) }

    /// What the empty file recording a backup or a prune in progress is called, followed by the
    /// backup's stem: a data file named after it without a manifest is that run's, and a
    /// cleanup may remove it. A data file without a manifest and without an intent record is
    /// someone else's, and is only reported.
    public static let intentPrefix = ".litesafe-intent."

    public func databases() throws -> [String] {
        let folder = try openRoot(trusted: false)
        return try folder.names()
            .filter { name in
                var info = stat()
                return !name.hasPrefix(".") && DatabaseName.isValid(name)
                    && fstatat(folder.descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0
                    && info.st_mode & S_IFMT == S_IFDIR
            }
            .sorted()
    }

    public func listing(of database: String) throws -> StoreListing {
        try DatabaseName.validate(database)
        guard let folder = try readableFolder(database) else { return StoreListing() }
        let names = try folder.names()
        let present = Set(names)
        var listing = StoreListing()
        for name in names.sorted() where name.hasSuffix(BackupName.manifestSuffix) && !name.hasPrefix(".") {
            let location = folder.path + "/" + name
            let manifest: Manifest
            do {
                manifest = try Manifest.decode(folder.readSmallFile(name, limit: Manifest.maximumSize), path: location)
            } catch let error as FileSystemError where error.errno == ENOENT {
                continue  // pruned since the folder was listed
            } catch let error as FileSystemError where error.errno == EFBIG {
                // Refused unread: a writer of the store could otherwise make a listing hold gigabytes.
                listing.damaged.append(
                    DamagedManifest(
                        location: location,
                        reason: "it is larger than the \(Manifest.maximumSize) bytes a manifest may have"))
                continue
            } catch let error as BackupError where error.code == .unreadableManifest {
                listing.damaged.append(
                    DamagedManifest(location: location, reason: error.reason ?? error.message, cause: error.cause))
                continue
            } catch {
                listing.damaged.append(DamagedManifest(location: location, reason: "\(error)", cause: error))
                continue
            }
            let stem = String(name.dropLast(BackupName.manifestSuffix.count))
            guard BackupName.isDataFile(manifest.file, of: database, stem: stem) else {
                listing.damaged.append(
                    DamagedManifest(
                        location: location,
                        reason:
                            "it names the file '\(manifest.file.escapingControlCharacters)', which is not a backup of '\(database)' named after the manifest (\(stem.escapingControlCharacters).sqlite…)"
                    ))
                continue
            }
            // A manifest whose data is gone is a damaged unit; listing it would promise a restore.
            // (A backup published while the folder was read may be missing from `names`.)
            guard present.contains(manifest.file) || folder.contains(manifest.file) else {
                if folder.contains(name) {
                    listing.damaged.append(
                        DamagedManifest(
                            location: location,
                            reason: "its data file \(manifest.file.escapingControlCharacters) is missing"))
                }
                continue
            }
            listing.backups.append(
                StoredBackup(
                    id: BackupID(database: database, stem: stem), manifest: manifest,
                    dataLocation: folder.path + "/" + manifest.file, manifestLocation: location))
        }
        listing.backups.sort {
            ($0.manifest.created, $0.id.stem) > ($1.manifest.created, $1.id.stem)
        }
        return listing
    }

    public func isTaken(stem: String, database: String) throws -> Bool {
        guard let folder = try readableFolder(database) else { return false }
        // Any file of that stem (data or manifest), whether or not its manifest is readable.
        return try folder.names().contains { $0.hasPrefix(stem + ".") }
    }

    public func beginBackup(database: String, stem: String, dataExtension: String) throws -> any PendingBackup {
        try DirectoryPendingBackup(
            folder: writableFolder(database), database: database, stem: stem, dataExtension: dataExtension)
    }

    public func read(_ backup: StoredBackup, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let file = try BackupName.dataFile(of: backup, manifestLocation: manifestPath(of: backup))
        // The database's folder is not followed through a symlink, as when listing it.
        try StoreFolder.open(root).folder(backup.id.database).forEachChunk(of: file, body)
    }

    public func storedFacts(of backup: StoredBackup) throws -> StoredFacts {
        let file = try BackupName.dataFile(of: backup, manifestLocation: manifestPath(of: backup))
        return StoredFacts(size: try StoreFolder.open(root).folder(backup.id.database).fileSize(file))
    }

    private func manifestPath(of backup: StoredBackup) -> String {
        folder(for: backup.id.database) + "/" + backup.id.stem + BackupName.manifestSuffix
    }

    public func delete(_ backup: StoredBackup) throws {
        let database = backup.id.database
        let stem = backup.id.stem
        let manifestName = stem + BackupName.manifestSuffix
        // Only a manifest of this store naming one of this database's data files, after its own
        // stem: a crafted manifest (`"file": ".lock"`) must not make a prune delete anything else.
        guard DatabaseName.isValid(database), BackupName.isPlainName(manifestName),
            BackupName.isDataFile(backup.manifest.file, of: database, stem: stem)
        else {
            throw BackupError.unreadableManifest(
                path: folder(for: database) + "/" + manifestName,
                reason:
                    "it names '\(backup.manifest.file.escapingControlCharacters)', which is not one of this store's backup files; nothing was deleted"
            )
        }
        let folder = try writableFolder(database)
        let intent = Self.intentPrefix + stem
        try folder.touch(intent)
        try folder.remove(manifestName)
        try folder.sync()
        CrashPoint.pruneAfterManifest.reached()
        try folder.remove(backup.manifest.file)
        try folder.sync()
        try? folder.remove(intent)
    }

    public func lock(database: String) throws -> any StoreLock {
        let folder = try writableFolder(database)
        return try FileLock(in: folder, database: database)
    }

    public func removeLeftovers(database: String) throws -> Leftovers {
        let folder = try writableFolder(database)
        let names = try folder.names()
        let present = Set(names)
        var leftovers = Leftovers()
        for name in names where name.hasPrefix(AtomicFile.temporaryPrefix) {
            try folder.remove(name)
            leftovers.removed.append(folder.path + "/" + name)
        }
        // A data file an intent record names, whose manifest is not there (damaged or not): a
        // backup interrupted before its commit record, or a prune interrupted after removing it.
        let intents = names.filter { $0.hasPrefix(Self.intentPrefix) }
        var handled = Set<String>()
        for intent in intents {
            let stem = String(intent.dropFirst(Self.intentPrefix.count))
            guard !present.contains(stem + BackupName.manifestSuffix) else { continue }
            for name in names where BackupName.isDataFile(name, of: database, stem: stem) {
                try folder.remove(name)
                handled.insert(name)
                leftovers.removed.append(folder.path + "/" + name)
            }
        }
        for name in names.sorted() where BackupName.isDataFile(name, of: database) && !handled.contains(name) {
            if let stem = BackupName.stem(ofDataFile: name), !present.contains(stem + BackupName.manifestSuffix) {
                leftovers.kept.append(folder.path + "/" + name)
            }
        }
        // A page store's temporaries: a pack or key whose write was cut short.
        if present.contains(Self.pagesFolder) {
            let pages = try folder.folder(Self.pagesFolder, trusted: true)
            for sub in [PageStoreLayout.packsFolder, PageStoreLayout.keysFolder] where pages.contains(sub) {
                let inner = try pages.folder(sub, trusted: true)
                var removedHere = false
                for name in try inner.names() where name.hasPrefix(AtomicFile.temporaryPrefix) {
                    try inner.remove(name)
                    leftovers.removed.append(inner.path + "/" + name)
                    removedHere = true
                }
                if removedHere { try inner.sync() }
            }
        }
        if !leftovers.removed.isEmpty { try folder.sync() }
        // Only once the removals are durable: an intent record gone first could leave a data
        // file without anything saying it is ours.
        for intent in intents { try folder.remove(intent) }
        return leftovers
    }

    /// The folder `pages` in the database's folder, made if missing; the store and it must be ours.
    public func pageObjects(database: String) throws -> any PageObjects {
        let pages = try writableFolder(database).folder(Self.pagesFolder, create: true, trusted: true)
        return try FolderPageObjects(path: pages.path)
    }

    /// Where a database's page store lives in its folder.
    public static let pagesFolder = "pages"

    private func openRoot(trusted: Bool) throws -> StoreFolder {
        do {
            return trusted ? try StoreFolder.openTrusted(root) : try StoreFolder.open(root)
        } catch let error as FileSystemError where error.errno == ENOENT || error.errno == ENOTDIR {
            throw BackupError.destinationMissing(path: root)
        }
    }

    /// `database`'s folder for reading, or nil when the store or the folder does not exist.
    private func readableFolder(_ database: String) throws -> StoreFolder? {
        try DatabaseName.validate(database)
        guard FileSystem.exists(root) else { return nil }
        do {
            return try openRoot(trusted: false).folder(database)
        } catch let error as FileSystemError where error.errno == ENOENT {
            return nil
        }
    }

    /// `database`'s folder for changing, made if missing; the store and it must be ours.
    private func writableFolder(_ database: String) throws -> StoreFolder {
        try DatabaseName.validate(database)
        return try openRoot(trusted: true).folder(database, create: true, trusted: true)
    }
}

/// A backup being written into a folder: data, then its manifest, each an atomic file, with an
/// intent record around them so a cleanup knows the data file is ours if the run is cut short.
final class DirectoryPendingBackup: PendingBackup {
    private let folder: StoreFolder
    private let database: String
    private let stem: String
    private let data: StoreFolderFile

    init(folder: StoreFolder, database: String, stem: String, dataExtension: String) throws {
        self.folder = folder
        self.database = database
        self.stem = stem
        data = try StoreFolderFile(in: folder, finalName: stem + dataExtension)
        data.crashPoints = (.backupBeforePublish, .backupAfterPublish)
    }

    var fileName: String { data.finalName }

    func write(_ bytes: UnsafeRawBufferPointer) throws { try data.write(bytes) }

    func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws { try data.overwrite(bytes, at: offset) }

    func readBack(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        // Durable first: what is read back is what the disk was asked to keep.
        try data.sync()
        try data.readBack(body)
    }

    func commit(manifest: Manifest) throws -> StoredBackup {
        // Made durable by the folder's fsync after the data file is published (one folder,
        // one journal: ext4 and xfs commit the two entries in order).
        let intent = DirectoryStore.intentPrefix + stem
        try folder.touch(intent)
        do {
            try data.commit()
        } catch {
            // Nothing of ours is under the final name (an existing file there is someone else's).
            try? folder.remove(intent)
            throw error
        }
        let record = try StoreFolderFile(in: folder, finalName: stem + BackupName.manifestSuffix)
        do {
            try record.write(manifest.encoded())
            CrashPoint.backupBeforeManifestPublish.reached()
            try record.commit()
        } catch {
            // Without its manifest the data file is not a backup; don't leave it to look like one.
            record.abandon()
            if unlinkat(folder.descriptor, data.finalName, 0) == 0 || errno == ENOENT { try? folder.remove(intent) }
            throw error
        }
        try? folder.remove(intent)
        return StoredBackup(
            id: BackupID(database: database, stem: stem), manifest: manifest, dataLocation: data.finalPath,
            manifestLocation: record.finalPath)
    }

    func abandon() { data.abandon() }
}

/// An exclusive `flock` on a lock file of ours.
final class FileLock: StoreLock {
    private var descriptor: Int32

    init(in folder: StoreFolder, database: String) throws {
        let path = folder.path + "/.lock"
        descriptor = try folder.openLockFile(".lock")
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
