import Glibc

/// A file-system call that failed: what we did, on which path, and errno (the cause), with a
/// `code` to match on.
///
/// The description says what to do about the causes that do not depend on how LiteSafe is run;
/// for a read-only file system and a refused permission, the fix depends on the service's
/// sandbox and user, and `ErrorMessage` at the edge adds it.
public struct FileSystemError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The kinds of failure callers and the edge tell apart.
    public enum Code: Sendable, Hashable {
        case noSpace, readOnly, permissionDenied, notFound, io, symbolicLink, crossDevice, other
    }

    public let operation: String
    public let path: String
    public let errno: Int32

    public init(_ operation: String, path: String, errno: Int32 = Glibc.errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var code: Code {
        switch errno {
        case ENOSPC, EDQUOT: .noSpace
        case EROFS: .readOnly
        case EACCES, EPERM: .permissionDenied
        case ENOENT: .notFound
        case EIO: .io
        case ELOOP: .symbolicLink
        case EXDEV: .crossDevice
        default: .other
        }
    }

    /// `cannot OPERATION PATH: strerror`.
    public var message: String { "cannot \(operation) \(path): \(String(cString: strerror(errno)))" }

    public var description: String {
        switch code {
        case .noSpace: message + " — free space on that file system, or use a folder on a bigger one"
        case .notFound: message + " — create it first, or fix the path"
        case .io: message + " — the disk reported an I/O error; check `dmesg` and the disk's health"
        case .symbolicLink: message + " — the path is a symbolic link, which LiteSafe refuses; use the real path"
        case .crossDevice: message + " — the two paths are on different file systems"
        case .readOnly, .permissionDenied, .other: message
        }
    }
}
