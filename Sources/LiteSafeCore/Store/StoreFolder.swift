import CLinux
import Glibc

/// A folder of the backup store or of staging, opened once and used through its descriptor.
///
/// Every name is looked up relative to the descriptor (`openat`, `unlinkat`, `linkat`) and
/// never followed through a symlink, so a folder swapped for a symlink after it was opened
/// cannot redirect a read, a new file or a removal somewhere else.
final class StoreFolder {
    /// The path the folder was opened by, for messages.
    let path: String
    let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Opens `path` for reading what is in it (a symlink at its last component is followed:
    /// `list --from` may name a link to the store); no ownership is required.
    static func open(_ path: String) throws -> StoreFolder {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open folder", path: path) }
        return StoreFolder(path: path, descriptor: fd)
    }

    /// Opens `path` as a folder LiteSafe may change: see `FolderTrust`. With `create`, a missing
    /// last component is made (0700) inside its trusted parent.
    static func openTrusted(_ path: String, create: Bool = false) throws -> StoreFolder {
        StoreFolder(path: path, descriptor: try FolderTrust.open(path, create: create))
    }

    /// Opens the folder `name` inside this one without following a symlink; with `create`, makes
    /// it (0700) when missing; with `trusted`, requires it to be ours and closed to others.
    func folder(_ name: String, create: Bool = false, trusted: Bool = false) throws -> StoreFolder {
        let childPath = path + "/" + name
        if create, mkdirat(descriptor, name, 0o700) != 0, errno != EEXIST {
            throw FileSystemError("create folder", path: childPath)
        }
        let fd = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            // O_NOFOLLOW on a symlink fails with ELOOP; O_DIRECTORY on a symlink with ENOTDIR.
            if code == ENOTDIR, isSymlink(name) { throw FileSystemError("use folder", path: childPath, errno: ELOOP) }
            throw FileSystemError("open folder", path: childPath, errno: code)
        }
        let child = StoreFolder(path: childPath, descriptor: fd)
        if trusted { try FolderTrust.checkOwnFolder(fd, path: childPath) }
        return child
    }

    /// Whether the entry `name` exists here (a dangling symlink counts).
    func contains(_ name: String) -> Bool {
        var info = stat()
        return fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0
    }

    /// Whether the entry `name` is a symbolic link.
    func isSymlink(_ name: String) -> Bool {
        var info = stat()
        return fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    /// The names in the folder, without `.` and `..`.
    func names() throws -> [String] {
        let fd = dup(descriptor)
        guard fd >= 0, let dir = fdopendir(fd) else {
            let code = errno
            if fd >= 0 { close(fd) }
            throw FileSystemError("list", path: path, errno: code)
        }
        defer { closedir(dir) }
        // The duplicate shares the offset with `descriptor`: start from the top every time.
        rewinddir(dir)
        return FileSystem.names(in: dir)
    }

    /// Opens the regular file `name` for reading, never through a symlink.
    func openFile(_ name: String) throws -> Int32 {
        let fd = openat(descriptor, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw FileSystemError("open", path: path + "/" + name) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw FileSystemError("read (not a regular file)", path: path + "/" + name, errno: EINVAL)
        }
        return fd
    }

    /// The size of the regular file `name` (never through a symlink).
    func fileSize(_ name: String) throws -> Int64 {
        let fd = try openFile(name)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileSystemError("read the size of", path: path + "/" + name) }
        return Int64(info.st_size)
    }

    /// Calls `body` with successive chunks of the file `name` until its end.
    func forEachChunk(of name: String, size: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = try openFile(name)
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, size)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("read", path: path + "/" + name)
            }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// Reads the whole small file `name` (a manifest).
    func readSmallFile(_ name: String, limit: Int = 16 << 20) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try forEachChunk(of: name, size: 64 << 10) { chunk in
            bytes.append(contentsOf: chunk)
            if bytes.count > limit {
                throw FileSystemError("read (too large)", path: path + "/" + name, errno: EFBIG)
            }
        }
        return bytes
    }

    /// Creates the empty file `name` (0600) if it is missing, never through a symlink.
    func touch(_ name: String) throws {
        let fd = openat(descriptor, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileSystemError("create", path: path + "/" + name) }
        close(fd)
    }

    /// Opens (creating 0600 if missing) the file `name` for a lock, never through a symlink.
    func openLockFile(_ name: String) throws -> Int32 {
        let fd = openat(descriptor, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileSystemError("open lock", path: path + "/" + name) }
        return fd
    }

    /// Removes the file `name`; a missing one is not an error.
    func remove(_ name: String) throws {
        if unlinkat(descriptor, name, 0) != 0 && errno != ENOENT {
            throw FileSystemError("remove", path: path + "/" + name)
        }
    }

    /// Gives the complete file `temporary` the name `final`, failing if `final` exists.
    ///
    /// `linkat` + `unlinkat` is an atomic no-replace rename on every local Linux file system;
    /// where hard links are refused (vfat, some FUSE mounts) it checks, then renames.
    func publish(_ temporary: String, as final: String) throws {
        if linkat(descriptor, temporary, descriptor, final, 0) == 0 {
            unlinkat(descriptor, temporary, 0)
            return
        }
        let code = errno
        let finalPath = path + "/" + final
        guard code == EPERM || code == EOPNOTSUPP else {
            throw FileSystemError("publish", path: finalPath, errno: code)
        }
        if contains(final) { throw FileSystemError("publish", path: finalPath, errno: EEXIST) }
        if renameat(descriptor, temporary, descriptor, final) != 0 {
            throw FileSystemError("rename to", path: finalPath)
        }
    }

    /// Flushes the folder's entries (new names, removals) to disk.
    func sync() throws {
        if fsync(descriptor) != 0 { throw FileSystemError("fsync folder", path: path) }
    }
}

/// A new file in a `StoreFolder`, written under a hidden temporary name and published under
/// its final name only once it is complete and durable: `AtomicFile`'s recipe, through the
/// folder's descriptor.
final class StoreFolderFile {
    let folder: StoreFolder
    let finalName: String
    let temporaryName: String
    private var descriptor: Int32
    /// Test-only crash points `commit` passes just before and just after publishing.
    var crashPoints: (beforePublish: CrashPoint, afterPublish: CrashPoint)?

    init(in folder: StoreFolder, finalName: String) throws {
        self.folder = folder
        self.finalName = finalName
        let random = (0..<8).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
        temporaryName = AtomicFile.temporaryPrefix + random + "-" + finalName
        descriptor = openat(
            folder.descriptor, temporaryName, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileSystemError("create", path: folder.path + "/" + temporaryName) }
    }

    deinit { abandon() }

    var temporaryPath: String { folder.path + "/" + temporaryName }
    var finalPath: String { folder.path + "/" + finalName }

    /// Bytes appended so far, and how many of them writeback was started for.
    private var written: Int64 = 0
    private var writtenBack: Int64 = 0
    /// How much is written between two writeback requests.
    static let writebackStep: Int64 = 8 << 20

    /// Appends `bytes`, retrying short writes and interrupted calls.
    ///
    /// Every 8 MiB or so it asks the kernel to start writing what was appended since to disk,
    /// and waits for what came before it to be written: a backup streams hundreds of MiB, and
    /// left dirty they would make the commit's fsync long and, meanwhile, throttle the
    /// application's own writes and stall its fsyncs (ext4 commits them in the same journal).
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("write", path: temporaryPath)
            }
            offset += n
        }
        written += Int64(bytes.count)
        if written - writtenBack >= Self.writebackStep {
            // Advice only: a file system without it (or an error) leaves the fsync to do it all.
            _ = litesafe_writeback_start(descriptor, writtenBack, written - writtenBack)
            if writtenBack > 0 { _ = litesafe_writeback_wait(descriptor, 0, writtenBack) }
            writtenBack = written
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes `bytes` at `offset`, leaving the append position where it is.
    func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("write", path: temporaryPath)
            }
            done += n
        }
    }

    /// Makes what was written so far durable (the commit's own fsync then has nothing left to do).
    func sync() throws {
        if fsync(descriptor) != 0 { throw FileSystemError("fsync", path: temporaryPath) }
    }

    /// Streams the file's bytes from the start, in 1 MiB reads (`pread`: the append position
    /// stays where it is).
    func readBack(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: off_t = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("read back", path: temporaryPath)
            }
            if n == 0 { return }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            offset += off_t(n)
        }
    }

    /// Makes the file durable (fsync, then a checked close: NFS and some disks report write
    /// errors only there) and visible under its final name; fails if that name exists.
    func commit() throws {
        if descriptor >= 0 {
            if fsync(descriptor) != 0 { throw FileSystemError("fsync", path: temporaryPath) }
            let fd = descriptor
            descriptor = -1
            if close(fd) != 0 { throw FileSystemError("close", path: temporaryPath) }
        }
        crashPoints?.beforePublish.reached()
        try folder.publish(temporaryName, as: finalName)
        crashPoints?.afterPublish.reached()
        do {
            try folder.sync()
        } catch {
            // A commit that throws leaves nothing under the final name.
            unlinkat(folder.descriptor, finalName, 0)
            throw error
        }
    }

    /// Closes and removes the temporary file; harmless after `commit`.
    func abandon() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlinkat(folder.descriptor, temporaryName, 0)
    }
}
