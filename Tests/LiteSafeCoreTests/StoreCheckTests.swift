import Foundation
import LiteSafeCore
import TestSupport
import Testing

/// `check-store`'s round trip, on a real folder and in memory.
@Suite struct StoreCheckTests {
    @Test func aWritableFolderPassesAndKeepsNoTestBackup() throws {
        let folder = try TemporaryDirectory("litesafe-store-check")
        let store = DirectoryStore(root: folder.path)
        let report = try StoreCheck().run(store)
        #expect(report.location == folder.path + "/" + StoreCheck.database)
        #expect(try store.backups(of: StoreCheck.database).isEmpty)
        // Only the lock file is left in the check's folder: no data, manifest or intent record.
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path + "/" + StoreCheck.database)
        #expect(left == [".lock"])
    }

    @Test func aMissingFolderFailsAtTheLockWithTheStoresError() throws {
        let folder = try TemporaryDirectory("litesafe-store-check")
        let store = DirectoryStore(root: folder.path + "/gone")
        #expect {
            try StoreCheck().run(store)
        } throws: { error in
            guard let failure = error as? StoreCheck.Failure else { return false }
            return failure.step == .lock && (failure.cause as? BackupError)?.code == .destinationMissing
        }
    }

    @Test func anInMemoryStorePasses() throws {
        let store = InMemoryStore()
        _ = try StoreCheck().run(store)
        #expect(store.names(in: StoreCheck.database).filter { !$0.hasPrefix(".") } == [])
    }
}
