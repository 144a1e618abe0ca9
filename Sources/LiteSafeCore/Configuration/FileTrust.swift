import Foundation

/// Whether a file LiteSafe takes orders from (the configuration, a recipients file, an identity)
/// could have been changed by someone other than root or the user LiteSafe runs as.
///
/// The rule is sshd's `StrictModes`: the file and every folder above it, up to `/`, must be
/// owned by root or the running user and not writable by group or others. A folder with the
/// sticky bit (such as `/tmp`) may be writable by all, since others cannot rename or remove what
/// is not theirs, and the entry below it is itself checked for its owner.
enum FileTrust {
    /// Why `path` cannot be trusted, or nil when it can; `owner` is that of the file as opened
    /// and `risk` says what a stranger could do with it ("turn encryption off").
    ///
    /// The mode of the file itself is left to the caller, which words that refusal its own way.
    static func problem(_ path: String, owner: uid_t, risk: String) -> UntrustedFile? {
        let me = geteuid()
        if owner != 0 && owner != me {
            return UntrustedFile(
                path: path, reason: .ownedByOther,
                message:
                    "\(path) is owned by \(userName(owner)), not by root or \(userName(me)) (who runs LiteSafe): that user could \(risk)"
            )
        }
        for folder in folders(above: path) {
            var status = stat()
            guard lstat(folder, &status) == 0 else { continue }
            let mode = status.st_mode & 0o7777
            if status.st_uid != 0 && status.st_uid != me {
                return UntrustedFile(
                    path: path, reason: .folderOwnedByOther(folder: folder),
                    message:
                        "\(path) is in the folder \(folder), owned by \(userName(status.st_uid)), not by root or \(userName(me)): that user could replace the file and \(risk)"
                )
            }
            if mode & 0o022 != 0 && mode & S_ISVTX == 0 {
                return UntrustedFile(
                    path: path, reason: .folderWritableByOthers(folder: folder),
                    message:
                        "\(path) is in the folder \(folder), which group or others may write (mode \(ConfigurationFile.octal(mode))): they could replace the file and \(risk)"
                )
            }
        }
        return nil
    }

    /// Every folder holding `path` once symlinks are resolved, innermost first, ending with `/`.
    static func folders(above path: String) -> [String] {
        guard let resolved = realpath(path, nil) else { return [] }
        defer { free(resolved) }
        var current = String(cString: resolved)
        var folders: [String] = []
        while current != "/" {
            current = ConfigurationPath.parent(of: current)
            folders.append(current)
        }
        return folders
    }

    /// `user alice (uid 1001)`, or `uid 1001` for a user without a name.
    static func userName(_ uid: uid_t) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name
        else { return "uid \(uid)" }
        return "user \(String(cString: name)) (uid \(uid))"
    }
}

/// A file LiteSafe takes orders from that someone other than root or the running user could
/// change (see `FileTrust`); the fix is the edge's to word.
public struct UntrustedFile: Error, CustomStringConvertible, Sendable, Hashable {
    public enum Reason: Sendable, Hashable {
        /// The file belongs to another user.
        case ownedByOther
        /// A folder above it belongs to another user.
        case folderOwnedByOther(folder: String)
        /// A folder above it is writable by group or others and not sticky.
        case folderWritableByOthers(folder: String)
    }

    public let path: String
    public let reason: Reason
    /// What is wrong and what a stranger could do with it.
    public let message: String

    public var description: String { message }
}
