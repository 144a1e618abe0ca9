import Glibc

/// Which folders LiteSafe may change: its own, where nobody else can plant, swap or remove a file.
///
/// A folder LiteSafe writes (the store, a database's folder in it, staging) must be owned by
/// the user LiteSafe runs as and not writable by its group or others; every folder above it
/// must be owned by root or that user and not writable by others, except a sticky one (`/tmp`)
/// whose child is ours or root's (others cannot rename or remove it there). Otherwise another
/// user could swap a folder for a symlink between two calls, or read the snapshots staged in
/// it; and when LiteSafe runs as root, the owner of the folder could turn root's removals and
/// new files against any file on the machine.
public enum FolderTrust {
    /// Checks that LiteSafe may change the folder at `path` (making it, 0700, with `create`):
    /// it is the running user's, closed to others' writes, under folders only root or that
    /// user can change.
    ///
    /// - Throws: `UntrustedFolder` saying who else could change it and the fix, or the
    ///   `FileSystemError` of opening it.
    public static func check(_ path: String, create: Bool = false) throws {
        close(try open(path, create: create))
    }

    /// Opens `path` as a folder LiteSafe may change, walking down from `/` one folder at a time
    /// (no symlink followed after `realpath`) and checking each as it is opened, so what was
    /// checked is what is used. With `create`, a missing last folder is made (0700).
    static func open(_ path: String, create: Bool) throws -> Int32 {
        let resolved: String
        if let real = realPath(path) {
            resolved = real
        } else {
            let code = errno
            guard create, code == ENOENT, let parent = realPath(FileSystem.parent(of: path)) else {
                throw FileSystemError("open folder", path: path, errno: code)
            }
            resolved = (parent == "/" ? "" : parent) + "/" + FileSystem.basename(of: path)
        }
        let me = geteuid()
        var fd = Glibc.open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open folder", path: "/") }
        var info = stat()
        var current = ""
        let components = resolved.split(separator: "/").map(String.init)
        for (index, name) in components.enumerated() {
            guard fstat(fd, &info) == 0 else {
                let error = FileSystemError("inspect", path: current.isEmpty ? "/" : current)
                close(fd)
                throw error
            }
            let parent = current.isEmpty ? "/" : current
            current += "/" + name
            guard info.st_uid == 0 || info.st_uid == me else {
                close(fd)
                throw UntrustedFolder(path: path, reason: .parentOwnedByOther(parent: parent, owner: info.st_uid))
            }
            if create, index == components.count - 1, mkdirat(fd, name, 0o700) != 0, errno != EEXIST {
                let error = FileSystemError("create folder", path: current)
                close(fd)
                throw error
            }
            let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard child >= 0 else {
                let error = FileSystemError("open folder", path: current)
                close(fd)
                throw error
            }
            close(fd)
            fd = child
            var childInfo = stat()
            guard fstat(child, &childInfo) == 0 else {
                let error = FileSystemError("inspect", path: current)
                close(fd)
                throw error
            }
            if info.st_mode & 0o022 != 0 {
                let sticky = info.st_mode & S_ISVTX != 0
                guard sticky, childInfo.st_uid == 0 || childInfo.st_uid == me else {
                    close(fd)
                    throw UntrustedFolder(
                        path: path, reason: .parentWritableByOthers(parent: parent, mode: info.st_mode & 0o7777))
                }
            }
        }
        do {
            try checkOwnFolder(fd, path: path)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Checks that the open folder `fd` is owned by the running user and closed to others' writes.
    static func checkOwnFolder(_ fd: Int32, path: String) throws {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileSystemError("inspect", path: path) }
        guard info.st_uid == geteuid() else {
            throw UntrustedFolder(path: path, reason: .ownedByOther(owner: info.st_uid))
        }
        guard info.st_mode & 0o022 == 0 else {
            throw UntrustedFolder(path: path, reason: .writableByOthers(mode: info.st_mode & 0o7777))
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The login name of `uid`, or the number when it has none.
    public static func userName(_ uid: uid_t) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, let found = result else {
            return "\(uid)"
        }
        return String(cString: found.pointee.pw_name)
    }
}

/// A folder LiteSafe refuses to change because someone other than the user it runs as could
/// change it too (see `FolderTrust`).
public struct UntrustedFolder: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// The folder itself belongs to another user.
        case ownedByOther(owner: uid_t)
        /// Its group or others may write the folder itself.
        case writableByOthers(mode: mode_t)
        /// A folder above it belongs to a user other than root and the running one.
        case parentOwnedByOther(parent: String, owner: uid_t)
        /// A folder above it is writable by group or others and not sticky (or sticky, but the
        /// folder below it is someone else's).
        case parentWritableByOthers(parent: String, mode: mode_t)
    }

    public let path: String
    public let reason: Reason
    /// Who LiteSafe runs as.
    public let user: uid_t

    public init(path: String, reason: Reason, user: uid_t = geteuid()) {
        self.path = path
        self.reason = reason
        self.user = user
    }

    /// What is wrong; the fix (which user to run as, which command) is the edge's to add.
    public var description: String {
        let me = FolderTrust.userName(user)
        switch reason {
        case .ownedByOther(let owner):
            let name = FolderTrust.userName(owner)
            if user == 0 {
                return
                    "\(path) belongs to user \(name), and LiteSafe runs as root here: root does not work in a folder another user controls (that user could turn root's file operations against any file)"
            }
            return
                "\(path) belongs to user \(name), not to \(me), who runs LiteSafe: LiteSafe only writes in folders of its own"
        case .writableByOthers(let mode):
            return
                "\(path) is writable by its group or others (mode \(octal(mode))): anyone who can write it could plant or swap files in it"
        case .parentOwnedByOther(let parent, let owner):
            let name = FolderTrust.userName(owner)
            return
                "\(path) is inside \(parent), which belongs to user \(name): that user could replace the folder under LiteSafe (running as \(me))"
        case .parentWritableByOthers(let parent, let mode):
            return
                "\(path) is inside \(parent), which others may write (mode \(octal(mode))): anyone could replace the folder under LiteSafe"
        }
    }

    private func octal(_ mode: mode_t) -> String { "0" + String(mode, radix: 8) }
}
