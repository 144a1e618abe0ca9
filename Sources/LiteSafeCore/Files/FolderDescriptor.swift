import Glibc

/// A folder opened once, with every later operation on its entries made relative to that
/// descriptor (`openat`, `fstatat`, `linkat`, `renameat`, `unlinkat`).
///
/// A path is looked up again at every call, so whoever can write a folder on the way can swap
/// a name for a symlink between two calls; a descriptor keeps naming the folder that was
/// opened, whatever is renamed around it. Entry names are single components: a name with `/`,
/// or `.`/`..`, is refused.
public final class FolderDescriptor {
    /// The path the folder was opened by, for messages and for the rare call that needs a path.
    public let path: String
    let descriptor: Int32

    /// Opens the folder at `path`; with `followSymlink` false (the default) a symlink in its
    /// last component is refused with `ELOOP`.
    public init(path: String, followSymlink: Bool = false, operation: String = "open folder") throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (followSymlink ? 0 : O_NOFOLLOW))
        guard descriptor >= 0 else {
            // O_NOFOLLOW on a symlink reports ELOOP, or ENOTDIR together with O_DIRECTORY.
            let error = errno
            var info = stat()
            let isLink = lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
            throw FileSystemError(operation, path: path, errno: !followSymlink && isLink ? ELOOP : error)
        }
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// The path of entry `name`, for messages.
    public func path(of name: String) -> String {
        path == "/" ? "/" + name : path + "/" + name
    }

    /// What `name` is, not following a symlink; nil when there is nothing by that name.
    public func status(of name: String) throws -> stat? {
        try check(name)
        var info = stat()
        if fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 { return info }
        if errno == ENOENT { return nil }
        throw FileSystemError("inspect", path: path(of: name))
    }

    /// What the folder itself is.
    public func status() throws -> stat {
        var info = stat()
        if fstat(descriptor, &info) != 0 { throw FileSystemError("inspect", path: path) }
        return info
    }

    /// Creates the new file `name` (`O_CREAT|O_EXCL|O_NOFOLLOW`, so nothing existing is opened)
    /// for reading and writing (a page snapshot's restore reads its pages back) and returns its
    /// descriptor.
    func createFile(_ name: String, mode: mode_t = 0o600) throws -> Int32 {
        try check(name)
        let fd = openat(descriptor, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileSystemError("create", path: path(of: name)) }
        return fd
    }

    /// Creates the folder `name` with `mode` (failing if the name exists) and opens it.
    public func makeFolder(_ name: String, mode: mode_t = 0o700) throws -> FolderDescriptor {
        try createFolder(name, mode: mode)
        return try openFolder(name)
    }

    /// Creates the folder `name` with `mode`, failing if the name exists.
    public func createFolder(_ name: String, mode: mode_t = 0o700) throws {
        try check(name)
        if mkdirat(descriptor, name, mode) != 0 { throw FileSystemError("create folder", path: path(of: name)) }
    }

    /// Opens the folder `name`, refusing a symlink.
    public func openFolder(_ name: String) throws -> FolderDescriptor {
        try check(name)
        let fd = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open folder", path: path(of: name)) }
        return FolderDescriptor(path: path(of: name), descriptor: fd)
    }

    /// Removes the entry `name` (a symlink itself, never its target); a missing name is not an error.
    public func remove(_ name: String) throws {
        try check(name)
        if unlinkat(descriptor, name, 0) != 0 && errno != ENOENT {
            throw FileSystemError("remove", path: path(of: name))
        }
    }

    /// Removes the empty folder `name`; a missing name is not an error.
    public func removeFolder(_ name: String) throws {
        try check(name)
        if unlinkat(descriptor, name, AT_REMOVEDIR) != 0 && errno != ENOENT {
            throw FileSystemError("remove folder", path: path(of: name))
        }
    }

    /// Gives the entry `name` the name `newName` in `target`, failing if that exists.
    ///
    /// `linkat` + `unlinkat` is an atomic no-replace rename on every local Linux file system;
    /// `renameat2(RENAME_NOREPLACE)` would do the same but Glibc's Swift overlay lacks it.
    public func publish(_ name: String, into target: FolderDescriptor, as newName: String) throws {
        try check(name)
        try check(newName)
        if linkat(descriptor, name, target.descriptor, newName, 0) == 0 {
            unlinkat(descriptor, name, 0)
            return
        }
        let linkErrno = errno
        let final = target.path(of: newName)
        if linkErrno == EEXIST { throw FileSystemError("publish", path: final, errno: EEXIST) }
        // File systems without hard links (vfat, some FUSE mounts): check, then rename.
        guard linkErrno == EPERM || linkErrno == EOPNOTSUPP else {
            throw FileSystemError("publish", path: final, errno: linkErrno)
        }
        if try target.status(of: newName) != nil { throw FileSystemError("publish", path: final, errno: EEXIST) }
        try rename(name, into: target, as: newName)
    }

    /// Renames the entry `name` to `newName` in `target`, replacing what is there (a symlink
    /// there is replaced itself, never followed).
    public func rename(_ name: String, into target: FolderDescriptor, as newName: String) throws {
        try check(name)
        try check(newName)
        if renameat(descriptor, name, target.descriptor, newName) != 0 {
            throw FileSystemError("rename to", path: target.path(of: newName))
        }
    }

    /// Flushes the folder's entries (new names, removals) to disk.
    public func sync() throws {
        if fsync(descriptor) != 0 { throw FileSystemError("fsync folder", path: path) }
    }

    /// The names in the folder, without `.` and `..`.
    public func contents() throws -> [String] {
        // fdopendir takes the descriptor it is given: hand it a duplicate to keep ours.
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0, let dir = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw FileSystemError("list", path: path)
        }
        defer { closedir(dir) }
        rewinddir(dir)
        return FileSystem.names(in: dir)
    }

    /// Bytes an unprivileged writer may still use on the folder's file system.
    public func availableBytes() -> Int64? {
        var info = statvfs()
        guard fstatvfs(descriptor, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Takes an exclusive `flock` on the folder; false (without waiting) when another open
    /// descriptor holds it. The lock goes with the last descriptor, so a killed process drops it.
    func tryLock() -> Bool {
        flock(descriptor, LOCK_EX | LOCK_NB) == 0
    }

    private func check(_ name: String) throws {
        if name.isEmpty || name == "." || name == ".." || name.contains("/") {
            throw FileSystemError("use the name", path: path(of: name), errno: EINVAL)
        }
    }
}

extension stat {
    /// Whether two `stat` results describe the same file (device and inode).
    func isSameFile(as other: stat) -> Bool {
        st_dev == other.st_dev && st_ino == other.st_ino
    }

    var isSymlink: Bool { st_mode & S_IFMT == S_IFLNK }
    var isDirectory: Bool { st_mode & S_IFMT == S_IFDIR }
    var isRegularFile: Bool { st_mode & S_IFMT == S_IFREG }
}
