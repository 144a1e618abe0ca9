import Age
import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation

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
                try NewSecretKeyFile.create(at: output, contents: text)
            } else {
                warnIfStandardOutputIsReadableByOthers()
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

/// Warns, as `age-keygen` does, when `keygen > FILE` puts the key in a file others may read
/// (a umask of 000 or 002 makes it 0666 or 0664).
private func warnIfStandardOutputIsReadableByOthers() {
    var status = stat()
    guard fstat(STDOUT_FILENO, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_mode & 0o004 != 0 else {
        return
    }
    let mode = String(status.st_mode & 0o777, radix: 8)
    note(
        "warning: writing the secret key to a file others can read (mode 0\(mode)): run `chmod 600` on it, or use `litesafe keygen -o FILE`, which creates it with mode 0600"
    )
}

/// Creates a new secret-key file with the durable recipe backups use (`AtomicFile`: mode 0600,
/// fsync, checked close, published without replacing, folder fsynced): an existing file or a
/// symlink at `path` is never touched.
private enum NewSecretKeyFile {
    static func create(at path: String, contents: String) throws {
        let file = try AtomicFile(directory: FileSystem.parent(of: path), finalName: FileSystem.basename(of: path))
        do {
            try file.write(Array(contents.utf8))
            try file.commit()
        } catch let error as FileSystemError where error.errno == EEXIST {
            file.abandon()
            throw ValidationErrorText(
                "\(path) already exists: refusing to overwrite an identity file; choose another name or remove it first"
            )
        } catch {
            file.abandon()
            throw error
        }
    }
}
