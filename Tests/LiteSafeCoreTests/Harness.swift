import Age
import Foundation
import LiteSafeCore
import Logging
import TestSupport

/// A temporary world for one backup test: a source folder, a destination, staging, a key.
final class Harness {
    let folder: TemporaryDirectory
    let identity = X25519Identity.generate()
    let logger = Logger(label: "test")

    init() throws { folder = try TemporaryDirectory("litesafe-core") }

    var sourceFolder: String { folder.path + "/source" }
    var destination: String { folder.path + "/backups" }
    var staging: String { folder.path + "/staging" }
    var source: String { sourceFolder + "/app.db" }
    var store: DirectoryStore { DirectoryStore(root: destination) }

    /// Creates the folders (the destination must exist before a backup).
    func prepare() throws -> Harness {
        for path in [sourceFolder, destination] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        return self
    }

    func job(
        source: String? = nil, destination: String? = nil, staging: String? = nil, compression: Compression = .default,
        checkpoint: CheckpointMode = .passive, busyTimeout: Duration = .seconds(5),
        integrityCheck: IntegrityCheck = .quick
    ) -> BackupJob {
        BackupJob(
            name: "app", sourcePath: source ?? self.source,
            store: DirectoryStore(root: destination ?? self.destination),
            stagingDirectory: staging ?? self.staging, checkpoint: checkpoint, compression: compression,
            encryption: .recipients([identity.recipient]), integrityCheck: integrityCheck, busyTimeout: busyTimeout)
    }

    @discardableResult
    func backUp(_ job: BackupJob? = nil) throws -> BackupResult {
        try BackupEngine().backUp(job ?? self.job(), logger: logger)
    }

    /// Restores `backup` to a new file and returns its path.
    func restore(_ backup: StoredBackup, to name: String = "restored.db") throws -> String {
        let out = folder.path + "/" + name
        _ = try RestoreEngine().restore(
            .stored(backup, store: store), identities: [identity], to: out, force: false, logger: logger)
        return out
    }

    /// Every file under the destination and staging folders (to prove nothing partial is left).
    func filesLeft() throws -> [String] {
        var found: [String] = []
        for root in [destination, staging] where FileManager.default.fileExists(atPath: root) {
            let enumerator = FileManager.default.enumerator(atPath: root)
            while let name = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory)
                if !isDirectory.boolValue && !name.hasSuffix(".lock") { found.append(root + "/" + name) }
            }
        }
        return found.sorted()
    }
}
