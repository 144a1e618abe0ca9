import Glibc

/// A file-system call that failed: what we did, on which path, and errno.
///
/// The description says what to do about the common causes, because an operator reads it
/// in the journal at three in the morning.
public struct FileSystemError: Error, CustomStringConvertible, Sendable, Equatable {
    public let operation: String
    public let path: String
    public let errno: Int32

    public init(_ operation: String, path: String, errno: Int32 = Glibc.errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        let base = "cannot \(operation) \(path): \(reason)"
        switch errno {
        case ENOSPC, EDQUOT: return base + " — free space on that file system, or use a folder on a bigger one"
        case EROFS:
            // Under the unit's ProtectSystem=strict every folder not in ReadWritePaths= is read-only.
            return base
                + " — the file system is read-only here: remount it read-write or choose another folder; under the systemd unit, allow the folder with `systemctl edit litesafe` ([Service] ReadWritePaths=\(FileSystem.parent(of: path)))"
        case EACCES, EPERM: return base + " — check the owner and mode of the path (the service runs as user litesafe)"
        case ENOENT: return base + " — create it first, or fix the path"
        case EIO: return base + " — the disk reported an I/O error; check `dmesg` and the disk's health"
        case ELOOP: return base + " — the path is a symbolic link, which LiteSafe refuses; use the real path"
        case EXDEV: return base + " — the two paths are on different file systems"
        default: return base
        }
    }
}
