import Foundation
import LiteSafeCore
import Logging
import TestSupport
import Testing

/// Every check of `StoreContract` against every store: the directory store LiteSafe ships and
/// the in-memory store the other tests use.
@Suite("The store contract")
struct StoreContractTests {
    enum Kind: String, CaseIterable, CustomStringConvertible {
        case directory, memory

        var description: String { rawValue }

        func subject() throws -> any StoreContractSubject {
            switch self {
            case .directory: try DirectoryStoreSubject()
            case .memory: InMemoryStoreSubject()
            }
        }
    }

    @Test(arguments: Kind.allCases, StoreContract.checks)
    func holds(store: Kind, check: StoreContract.Check) throws {
        let subject = try store.subject()
        try check.run(subject)
    }

    @Test("a configured database is backed up, pruned, verified and restored through the store the factory makes")
    func throughTheFactory() throws {
        let folder = try TemporaryDirectory("litesafe-factory")
        let source = folder.path + "/app.db"
        try Fixtures.makeDatabase(at: source)
        // A folder that does not exist: a directory store there would fail every backup.
        let location = StoreLocation.directory(folder.path + "/nowhere")
        let database = DatabaseConfiguration(
            name: "app", path: source, store: location, encryption: .none, retention: RetentionPolicy(keepLast: 1))
        let configuration = Configuration(stateDirectory: folder.path, databases: [database], sourceFile: "test.yml")
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let stores = InMemoryStoreFactory()
        _ = try BackupEngine().backUp(configuration.backupJob(for: database, stores: stores), logger: logger)
        let newest = try BackupEngine().backUp(configuration.backupJob(for: database, stores: stores), logger: logger)
        let store = stores.store(at: location)
        #expect(try store.backups(of: "app") == [newest.backup])
        #expect(!FileSystem.exists(location.description))
        let reports = try Verifier().verifyAll(
            [database], stores: stores, identityFile: nil, scratch: folder.path, cancellation: Cancellation(),
            logger: logger)
        #expect(reports.map(\.checked) == [1] && reports.allSatisfy(\.ok))
        let out = folder.path + "/restored.db"
        _ = try RestoreEngine().restore(
            .stored(newest.backup, store: store), identities: [], to: out, force: false, logger: logger)
        #expect(FileSystem.exists(out))
    }
}
