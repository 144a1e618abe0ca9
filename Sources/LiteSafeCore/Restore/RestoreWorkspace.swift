import Glibc

/// The private folder a restore decodes, hashes and checks its copy in: made fresh beside OUT
/// (same file system, so the finished file is renamed into place), mode 0700 and owned by us,
/// locked while in use, removed at the end.
///
/// OUT's folder may be writable by others (the application's user, or everyone for `/tmp`).
/// Nobody else can create a file in this folder, so SQLite finds no planted `-journal` or `-wal`
/// beside the copy, and nobody can swap the copy for a symlink.
final class RestoreWorkspace {
    /// The prefix of every such folder, so the next restore can find what a killed one left.
    static let prefix = ".litesafe-restore-"

    let name: String
    let folder: FolderDescriptor
    private let parent: FolderDescriptor
    private let identity: stat

    /// Creates and opens a new private folder in `parent` for restoring `output`.
    init(in parent: FolderDescriptor, for output: String) throws {
        self.parent = parent
        name = Self.prefix + (0..<8).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
        try parent.createFolder(name, mode: 0o700)
        do {
            folder = try parent.openFolder(name)
        } catch {
            // Created a moment ago, so only someone who can write OUT's folder moved it.
            throw RestoreError.folderChanged(path: output)
        }
        // Held while the folder is open (a killed process drops it), so a concurrent restore's
        // cleanup leaves the folder alone.
        _ = folder.tryLock()
        identity = try folder.status()
        // The name could have been swapped for someone else's folder between mkdirat and openat.
        guard identity.st_uid == geteuid() else { throw RestoreError.folderChanged(path: output) }
        if fchmod(folder.descriptor, 0o700) != 0 { throw FileSystemError("set mode of", path: folder.path) }
    }

    /// Whether the folder's name in OUT's folder still names this folder.
    var isInPlace: Bool {
        (try? parent.status(of: name))?.isSameFile(as: identity) ?? false
    }

    /// Removes the files in the folder, then the folder, if its name still names it.
    func remove() {
        Self.empty(folder)
        if isInPlace { try? parent.removeFolder(name) }
    }

    /// Removes what restores killed before they finished left in `parent`: private folders of
    /// ours not in use, and temporaries of ours for `name` (what earlier versions left).
    ///
    /// Only entries owned by us, with our prefixes, are touched; never anything else.
    static func removeLeftovers(in parent: FolderDescriptor, for name: String) {
        let me = geteuid()
        for entry in (try? parent.contents()) ?? [] {
            guard entry.hasPrefix(prefix) || entry.hasPrefix(AtomicFile.temporaryPrefix),
                let info = try? parent.status(of: entry), info.st_uid == me
            else { continue }
            if entry.hasPrefix(prefix), info.isDirectory, info.st_mode & 0o777 == 0o700 {
                guard let leftover = try? parent.openFolder(entry), leftover.tryLock(),
                    (try? leftover.status())?.isSameFile(as: info) == true
                else { continue }
                empty(leftover)
                try? parent.removeFolder(entry)
            } else if entry.hasPrefix(AtomicFile.temporaryPrefix), entry.hasSuffix("-" + name), info.isRegularFile {
                try? parent.remove(entry)
            }
        }
    }

    private static func empty(_ folder: FolderDescriptor) {
        for entry in (try? folder.contents()) ?? [] { try? folder.remove(entry) }
    }
}
