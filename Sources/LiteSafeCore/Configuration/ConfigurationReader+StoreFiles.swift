import Foundation
import Yams

// Checks of the files an S3 store reads, against the real file system, as the user the check runs as.
extension ConfigurationReader {
    /// `credentials:`: an absolute path, or a bare name looked up in the credentials folder the
    /// caller was given (`credentialsDirectory`). The file holds a secret key: it
    /// must exist, be readable by this user, closed to group and others (mode 0600, as the store
    /// requires) and owned by root or this user. Its contents are never read here.
    func credentialsFile(_ node: Node, at path: String) -> String? {
        let expected = "an absolute path such as /etc/litesafe/s3.credentials, or a credential name such as s3"
        guard let text = text(node, at: path, expected: expected) else { return nil }
        if !text.contains("/") {
            guard DatabaseName.isValid(text) else {
                error("\(path): expected \(expected), got '\(text)'", at: node)
                return nil
            }
            if let folder = credentialsDirectory, !folder.isEmpty {
                checkCredentials(folder + "/" + text, at: node, fieldPath: path)
            } else {
                warning(
                    "\(path): '\(text)' names a credential, not a file, and none was passed to this check, so it was not checked",
                    at: node, fix: .credentialNotPassed(name: text))
            }
            return text
        }
        guard let file = absolutePath(node, at: path) else { return nil }
        checkCredentials(file, at: node, fieldPath: path)
        return file
    }

    private func checkCredentials(_ file: String, at node: Node, fieldPath: String) {
        var link = stat()
        if lstat(file, &link) == 0, link.st_mode & S_IFMT == S_IFLNK {
            // The store opens the file itself without following links (lstat), so refuse it here too.
            error(
                "\(fieldPath): \(file) is a symbolic link; the S3 store reads only a regular file: name the file itself",
                at: node)
            return
        }
        switch ConfigurationFile.status(of: file) {
        case .failure(let failure) where failure.isMissing:
            error(
                "\(fieldPath): \(file) does not exist; create it in AWS's format (`[default]`, `aws_access_key_id = …`, `aws_secret_access_key = …`) with mode 0600",
                at: node)
        case .failure(let failure):
            error("\(fieldPath): cannot check \(file): \(failure.reason)", at: node)
        case .success(let (mode, _)) where mode & 0o077 != 0:
            error(
                "\(fieldPath): \(file) holds a secret key but group or others may use it (mode \(ConfigurationFile.octal(mode))); run `chmod 600 \(file)`",
                at: node)
        case .success(let (_, owner)):
            if let problem = FileTrust.problem(file, owner: owner, risk: "replace the S3 credentials") {
                error("\(fieldPath): \(problem)", at: node, fix: .untrustedFile(problem))
            } else if access(file, R_OK) != 0 {
                let failure = FileSystemError("read", path: file)
                error("\(fieldPath): \(failure)", at: node, fix: .fileSystem(failure))
            }
        }
    }

    /// `ca_file:`: certificate authorities trusted for this store; whoever can change the file
    /// can make LiteSafe trust a server of theirs.
    func checkCAFile(_ file: String, at node: Node, fieldPath: String) {
        switch ConfigurationFile.status(of: file) {
        case .failure(let failure) where failure.isMissing:
            error("\(fieldPath): \(file) does not exist; name a PEM file of CA certificates", at: node)
        case .failure(let failure):
            error("\(fieldPath): cannot check \(file): \(failure.reason)", at: node)
        case .success(let (mode, _)) where ConfigurationFile.isWritableByOthers(mode):
            error(
                "\(fieldPath): \(file) is writable by group or others (mode \(ConfigurationFile.octal(mode))): they could make LiteSafe trust their own server; run `chmod go-w \(file)`",
                at: node)
        case .success(let (_, owner)):
            if let problem = FileTrust.problem(file, owner: owner, risk: "make LiteSafe trust their own server") {
                error("\(fieldPath): \(problem)", at: node, fix: .untrustedFile(problem))
            } else if access(file, R_OK) != 0 {
                let failure = FileSystemError("read", path: file)
                error("\(fieldPath): \(failure)", at: node, fix: .fileSystem(failure))
            }
        }
    }
}
