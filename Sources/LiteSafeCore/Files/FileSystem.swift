import Glibc

/// The few file-system operations LiteSafe needs beyond reading and writing, each with the
/// durability step that `Foundation` leaves out.
public enum FileSystem {
    /// Gives the complete file at `temporary` the name `final`, failing if `final` exists.
    ///
    /// `link` + `unlink` is an atomic no-replace rename on every local Linux file system;
    /// `renameat2(RENAME_NOREPLACE)` would do the same but Glibc's Swift overlay lacks it.
    public static func publish(_ temporary: String, as final: String) throws {
        if link(temporary, final) == 0 {
            unlink(temporary)
            return
        }
        let linkErrno = errno
        if linkErrno == EEXIST { throw FileSystemError("publish", path: final, errno: EEXIST) }
        // File systems without hard links (vfat, some FUSE mounts): check, then rename.
        guard linkErrno == EPERM || linkErrno == EOPNOTSUPP else {
            throw FileSystemError("publish", path: final, errno: linkErrno)
        }
        var info = stat()
        if lstat(final, &info) == 0 { throw FileSystemError("publish", path: final, errno: EEXIST) }
        if rename(temporary, final) != 0 { throw FileSystemError("rename to", path: final) }
    }

    /// Flushes a folder's entries (new names, removals) to disk.
    public static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open folder", path: path) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw FileSystemError("fsync folder", path: path) }
    }

    /// Creates `path` with `mode` if missing (not following a symlink at the last component),
    /// and checks that it is a real folder.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws {
        if mkdir(path, mode) != 0 && errno != EEXIST { throw FileSystemError("create folder", path: path) }
        var info = stat()
        if lstat(path, &info) != 0 { throw FileSystemError("inspect", path: path) }
        if info.st_mode & S_IFMT == S_IFLNK { throw FileSystemError("use folder", path: path, errno: ELOOP) }
        if info.st_mode & S_IFMT != S_IFDIR { throw FileSystemError("use folder", path: path, errno: ENOTDIR) }
    }

    /// Whether something exists at `path` (a dangling symlink counts).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Whether `path` itself is a symbolic link.
    public static func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    /// Bytes an unprivileged writer may still use on the file system holding `path`.
    public static func availableBytes(_ path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Whether `path` is a folder (following symlinks).
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// The names in a folder, without `.` and `..`.
    public static func contents(of path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw FileSystemError("list", path: path) }
        defer { closedir(dir) }
        return names(in: dir)
    }

    /// The names an open directory stream lists, without `.` and `..` (every folder listing,
    /// by path or through a folder's descriptor, reads them here).
    static func names(in dir: OpaquePointer) -> [String] {
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a file; a missing file is not an error.
    public static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw FileSystemError("remove", path: path) }
    }

    /// The size of the file at `path`.
    public static func size(_ path: String) throws -> Int64 {
        var info = stat()
        if stat(path, &info) != 0 { throw FileSystemError("inspect", path: path) }
        return Int64(info.st_size)
    }

    /// Reads a whole small file (a manifest, a key, a config).
    public static func readSmallFile(_ path: String, limit: Int = 16 << 20) throws -> [UInt8] {
        let reader = try FileReader(path: path)
        var bytes: [UInt8] = []
        try reader.forEachChunk(size: 64 << 10) { chunk in
            bytes.append(contentsOf: chunk)
            if bytes.count > limit { throw FileSystemError("read (too large)", path: path, errno: EFBIG) }
        }
        return bytes
    }

    /// The folder part of a path ("/a/b/c" → "/a/b", "c" → ".").
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component of a path.
    public static func basename(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// Reads one of our own files sequentially in chunks (never a live database: closing a
/// descriptor on one would drop SQLite's locks).
public final class FileReader {
    private let descriptor: Int32
    public let path: String

    public init(path: String, followSymlinks: Bool = false) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC | (followSymlinks ? 0 : O_NOFOLLOW))
        guard descriptor >= 0 else { throw FileSystemError("open", path: path) }
    }

    deinit { close(descriptor) }

    /// Calls `body` with successive chunks of at most `size` bytes until the end of the file.
    public func forEachChunk(size: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(descriptor, buffer.baseAddress, size)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("read", path: path)
            }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }
}
