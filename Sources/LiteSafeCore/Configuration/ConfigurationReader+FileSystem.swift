import Foundation
import Yams

// Checks against the real file system. Run `check-config` as the service user: another user may
// not be allowed to look into the folders the service uses.
extension ConfigurationReader {
    /// The database's folder must exist; the file itself may still be missing (the application may
    /// create it later), which is only a warning.
    func checkSource(_ path: String, at node: Node, fieldPath: String) {
        let folder = ConfigurationPath.parent(of: path)
        switch ConfigurationFile.kind(of: folder) {
        case .success(.folder): break
        case .success:
            error("\(fieldPath): \(folder) is not a folder; correct the path", at: node)
            return
        case .failure(let failure) where failure.isMissing:
            error("\(fieldPath): folder \(folder) does not exist; create it or correct the path", at: node)
            return
        case .failure(let failure):
            warning("\(fieldPath): cannot check folder \(folder): \(failure.reason)", at: node)
            return
        }
        switch ConfigurationFile.kind(of: path) {
        case .success(.file): break
        case .success(.folder):
            error("\(fieldPath): \(path) is a folder, not an SQLite database file", at: node)
        case .success:
            error("\(fieldPath): \(path) is not a regular file, so it cannot be an SQLite database", at: node)
        case .failure(let failure) where failure.isMissing:
            warning(
                "\(fieldPath): database file \(path) does not exist yet; its backups will fail until it does",
                at: node)
        case .failure(let failure):
            warning("\(fieldPath): cannot check \(path): \(failure.reason)", at: node)
        }
    }

    /// Backups must never sit in the database's own folder or below it: one lost disk, or one
    /// careless `rm -r` of that folder, would take the database and its backups together. And
    /// the destination must exist: LiteSafe makes each database's folder in it, not the
    /// destination itself (a missing one is usually a mount that did not come up).
    func checkDestination(_ root: String, of database: Configuration.Database, at node: Node) {
        let folder = StoreLocation.directory(root).description(of: database.name)
        let source = ConfigurationPath.resolvingSymlinks(database.sourceDirectory)
        let destination = ConfigurationPath.resolvingSymlinks(folder)
        guard !ConfigurationPath.isSame(destination, orInside: source) else {
            error(
                "backups of database '\(database.name)' would go to \(folder), inside its own folder \(database.sourceDirectory): choose a destination outside the database's folder",
                at: node)
            return
        }
        switch ConfigurationFile.kind(of: root) {
        case .success(.folder): break
        case .success:
            error("destination \(root) is not a folder; correct the path", at: node)
        case .failure(let failure) where failure.isMissing:
            error(
                "destination folder \(root) does not exist, so every backup would fail", at: node,
                fix: .createDestination(path: root))
        case .failure(let failure):
            warning("cannot check the destination folder \(root): \(failure.reason)", at: node)
        }
    }

    /// The folder for metrics should exist, but a missing one only loses metrics.
    func checkMetricsFolder(_ file: String, at node: Node, fieldPath: String) {
        let folder = ConfigurationPath.parent(of: file)
        if case .failure(let failure) = ConfigurationFile.kind(of: folder), failure.isMissing {
            warning("\(fieldPath): folder \(folder) does not exist; no metrics are written until it does", at: node)
        } else if access(folder, W_OK) != 0 {
            // Checked as the user the check runs as, where it runs: run by the service manager
            // before the daemon starts, that is the daemon's own user and sandbox.
            let error = FileSystemError("write", path: file)
            warning("\(fieldPath): \(error)", at: node, fix: .fileSystem(error))
        }
    }

    /// The identity holds a secret key: it must exist and be kept from others.
    func checkIdentity(_ file: String, at node: Node, fieldPath: String) {
        switch ConfigurationFile.status(of: file) {
        case .success(let (mode, _)) where mode & 0o027 != 0:
            // Group read is allowed (root:litesafe 0640 is a sound setup); group write and any
            // access by others are not.
            error(
                "\(fieldPath): \(file) holds a secret key but is open to others or writable by its group (mode \(ConfigurationFile.octal(mode))); run `chmod o-rwx,g-w \(file)`",
                at: node)
        case .success(let (_, owner)):
            if let problem = FileTrust.problem(file, owner: owner, risk: "replace the secret key") {
                error("\(fieldPath): \(problem)", at: node, fix: .untrustedFile(problem))
            }
        case .failure(let failure) where failure.isMissing:
            error(
                "\(fieldPath): \(file) does not exist; create it with `age-keygen -o \(file)` on a host allowed to hold the secret key, or remove verify_identity",
                at: node)
        case .failure(let failure):
            warning("\(fieldPath): cannot check \(file): \(failure.reason)", at: node)
        }
    }
}
