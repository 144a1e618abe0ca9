import Foundation

/// A file the configuration depends on (the file itself, a recipients file), read with its mode.
///
/// It is read through one descriptor so the permission bits checked are those of the bytes used.
struct ConfigurationFile {
    /// Why a file could not be read, as `strerror` puts it.
    struct ReadFailure: Error {
        var code: Int32
        var reason: String { String(cString: strerror(code)) }
        var isMissing: Bool { code == ENOENT || code == ENOTDIR }
    }

    var data: Data
    /// The permission bits (`st_mode & 0o7777`).
    var mode: mode_t
    /// The owner's user id.
    var owner: uid_t

    /// Reads the regular file at `path`.
    static func read(_ path: String) -> Result<ConfigurationFile, ReadFailure> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(ReadFailure(code: errno)) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failure(ReadFailure(code: errno)) }
        guard status.st_mode & S_IFMT == S_IFREG else { return .failure(ReadFailure(code: EISDIR)) }
        // Sized up front, so no grown-out-of copy is left behind, and zeroed after: the file may
        // be an identity, whose caller wipes `data` in turn.
        var data = Data(capacity: Int(max(status.st_size, 0)) + 1)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        defer { buffer.wipe() }
        while true {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(ReadFailure(code: errno))
            }
            if count == 0 { break }
            data.append(contentsOf: buffer[..<count])
        }
        return .success(ConfigurationFile(data: data, mode: status.st_mode & 0o7777, owner: status.st_uid))
    }

    /// The permission bits and owner of `path`, following symlinks.
    static func status(of path: String) -> Result<(mode: mode_t, owner: uid_t), ReadFailure> {
        var status = stat()
        guard stat(path, &status) == 0 else { return .failure(ReadFailure(code: errno)) }
        return .success((status.st_mode & 0o7777, status.st_uid))
    }

    /// What `path` is, or the reason it cannot be looked at.
    static func kind(of path: String) -> Result<FileKind, ReadFailure> {
        var status = stat()
        guard stat(path, &status) == 0 else { return .failure(ReadFailure(code: errno)) }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: return .success(.folder)
        case S_IFREG: return .success(.file)
        default: return .success(.other)
        }
    }

    enum FileKind { case file, folder, other }

    /// True when group or others may write: then they could redirect backups or add their own key.
    static func isWritableByOthers(_ mode: mode_t) -> Bool { mode & 0o022 != 0 }

    /// `0644`-style text for messages.
    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
