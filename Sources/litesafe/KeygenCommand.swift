import Age
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `litesafe keygen`: makes an age X25519 identity, byte for byte what `age-keygen` writes.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate an age identity (secret key) for encrypting backups, like age-keygen.",
        discussion: """
            The file holds the secret key that decrypts backups: keep it off the backed-up host \
            and give the public key (age1…) to the configuration. `age-keygen -y FILE` prints it again.
            """)

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp(
            "Write the identity to FILE (created with mode 0600; an existing file is never overwritten).",
            valueName: "FILE"))
    var output: String?

    func run() throws {
        let identity = X25519Identity.generate()
        let text = identity.identityFile(created: Date())
        do {
            if let output {
                try IdentityFile.create(at: output, contents: text)
            } else {
                try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
            }
        } catch {
            throw fail(error)
        }
        // As age-keygen does: tell the public key on stderr unless the key went to a terminal.
        if output != nil || isatty(STDOUT_FILENO) == 0 {
            note("Public key: \(identity.recipient)")
        }
    }
}

/// Creates a new secret-key file safely: never follows a symlink, never replaces a file,
/// mode 0600, data and directory entry on disk before success is reported.
private enum IdentityFile {
    struct Failure: Error, CustomStringConvertible {
        let path: String
        let step: String
        let code: Int32
        var description: String {
            let reason = String(cString: strerror(code))
            if code == EEXIST {
                return "\(path) already exists: refusing to overwrite an identity file; "
                    + "choose another name or remove it first"
            }
            return "cannot \(step) identity file \(path): \(reason)"
        }
    }

    static func create(at path: String, contents: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(path: path, step: "create", code: errno) }
        do {
            // The umask can only remove bits, but make the mode exact regardless.
            guard fchmod(fd, 0o600) == 0 else { throw Failure(path: path, step: "set the mode of", code: errno) }
            try write(Array(contents.utf8), to: fd, path: path)
            guard fsync(fd) == 0 else { throw Failure(path: path, step: "sync", code: errno) }
        } catch {
            close(fd)
            unlink(path)  // only the file created above: O_EXCL guarantees it is ours
            throw error
        }
        guard close(fd) == 0 else {
            let code = errno
            unlink(path)
            throw Failure(path: path, step: "close", code: code)
        }
        try syncDirectory(of: path)
    }

    private static func write(_ bytes: [UInt8], to fd: Int32, path: String) throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, step: "write", code: errno)
            }
            written += result
        }
    }

    /// Makes the new directory entry durable, so a crash cannot lose a key already in use.
    private static func syncDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, step: "open the directory of", code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(path: path, step: "sync the directory of", code: errno) }
    }
}
