import Glibc

/// A new file written under a hidden temporary name and published under its final name only
/// once it is complete and durable.
///
/// The recipe: open the temporary `O_CREAT|O_EXCL|O_NOFOLLOW` mode 0600, write, `fsync`,
/// `close` (checking its error: NFS and some disks report write failures only there),
/// link it to the final name (which fails rather than replaces), unlink the temporary name,
/// `fsync` the folder. A crash at any point leaves either nothing or a temporary that
/// `removeLeftovers` deletes; never a partial file under the final name.
///
/// Every step goes through one descriptor of the folder and one of the file, never a path
/// looked up again: whoever can write the folder cannot swap the temporary for a symlink and
/// have a later step (a mode, an owner, the rename) land on another file.
public final class AtomicFile {
    public let directory: String
    public let finalName: String
    public let temporaryName: String
    /// The folder the temporary is in.
    public let folder: FolderDescriptor
    /// The open temporary file; -1 once `sync` closed it.
    private(set) var descriptor: Int32
    /// Device and inode of the temporary file.
    let identity: stat
    private var committed = false
    /// Test-only crash points `commit` passes just before and just after publishing; the
    /// backup's data file sets them, every other atomic file has none.
    var crashPoints: (beforePublish: CrashPoint, afterPublish: CrashPoint)?

    /// The prefix every temporary file of ours starts with, so cleanup can find them.
    public static let temporaryPrefix = ".litesafe-tmp-"

    /// Creates the temporary file for `finalName` in `directory`; `temporarySuffix` ends the
    /// temporary's name (so a reader of `*.prom` never sees a half-written metrics file).
    public convenience init(directory: String, finalName: String, temporarySuffix: String = "") throws {
        // The folder is followed if it is a symlink, as before: the folders given here are the
        // operator's choice (a store, a state folder); what must not be followed is a name in it.
        try self.init(
            folder: FolderDescriptor(path: directory, followSymlink: true), finalName: finalName,
            temporarySuffix: temporarySuffix)
    }

    /// Creates the temporary file for `finalName` in the open `folder`.
    public init(folder: FolderDescriptor, finalName: String, temporarySuffix: String = "") throws {
        self.folder = folder
        directory = folder.path
        self.finalName = finalName
        let random = (0..<8).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
        temporaryName = AtomicFile.temporaryPrefix + random + "-" + finalName + temporarySuffix
        descriptor = try folder.createFile(temporaryName, mode: 0o600)
        var info = stat()
        if fstat(descriptor, &info) != 0 {
            let error = FileSystemError("inspect", path: folder.path(of: temporaryName))
            close(descriptor)
            unlinkat(folder.descriptor, temporaryName, 0)
            throw error
        }
        identity = info
    }

    deinit { abandon() }

    public var temporaryPath: String { folder.path(of: temporaryName) }
    public var finalPath: String { folder.path(of: finalName) }

    /// Appends `bytes`, retrying short writes and interrupted calls.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(try open(), bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("write", path: temporaryPath)
            }
            offset += n
        }
    }

    /// Appends `bytes`.
    /// The file's size now (SQLite may have written it through a path of its own).
    func currentSize() throws -> Int64 {
        var info = stat()
        if fstat(descriptor, &info) != 0 { throw FileSystemError("inspect", path: temporaryPath) }
        return Int64(info.st_size)
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Overwrites bytes at `offset` (a header field) without moving the append position.
    func overwrite(_ bytes: [UInt8], at offset: Int64) throws {
        let n = try bytes.withUnsafeBytes { pwrite(try open(), $0.baseAddress, $0.count, off_t(offset)) }
        if n != bytes.count { throw FileSystemError("write", path: temporaryPath, errno: n < 0 ? errno : EIO) }
    }

    /// Sets the temporary's permission bits on the open file, before anyone can see it.
    public func setMode(_ mode: mode_t) throws {
        if fchmod(try open(), mode) != 0 { throw FileSystemError("set mode of", path: temporaryPath) }
    }

    /// Gives the open temporary file to `owner`:`group` (root only), before it is published.
    public func setOwner(_ owner: uid_t, group: gid_t) throws {
        if fchown(try open(), owner, group) != 0 { throw FileSystemError("set owner of", path: temporaryPath) }
    }

    /// Makes the file durable and visible under its final name (in `target`, the same folder
    /// by default); fails if that name exists, unless `replacing` (a restore with `--force`, a
    /// state file), when the old file is swapped out atomically.
    public func commit(replacing: Bool = false, into target: FolderDescriptor? = nil) throws {
        let target = target ?? folder
        try sync()
        crashPoints?.beforePublish.reached()
        if replacing {
            try folder.rename(temporaryName, into: target, as: finalName)
        } else {
            try folder.publish(temporaryName, into: target, as: finalName)
        }
        committed = true
        crashPoints?.afterPublish.reached()
        do {
            try target.sync()
            if target !== folder { try folder.sync() }
        } catch {
            // A commit that throws must leave nothing under the final name: a caller cleaning
            // up after the error (the store unlinks the data file when its manifest fails)
            // would otherwise leave a manifest naming a file that is gone. A replaced file
            // cannot be put back, so `replacing` keeps the new one.
            if !replacing { unlinkat(target.descriptor, finalName, 0) }
            throw error
        }
    }

    /// Makes the temporary file durable and closes it (checking close, which is where NFS and
    /// some disks report write errors); `commit` does this itself when it has not been done.
    public func sync() throws {
        guard descriptor >= 0 else { return }
        if fsync(descriptor) != 0 { throw FileSystemError("fsync", path: temporaryPath) }
        let fd = descriptor
        descriptor = -1
        if close(fd) != 0 { throw FileSystemError("close", path: temporaryPath) }
    }

    /// Closes and removes the temporary file; harmless after `commit`.
    public func abandon() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        if !committed {
            committed = true
            unlinkat(folder.descriptor, temporaryName, 0)
        }
    }

    private func open() throws -> Int32 {
        guard descriptor >= 0 else { throw FileSystemError("write", path: temporaryPath, errno: EBADF) }
        return descriptor
    }
}
