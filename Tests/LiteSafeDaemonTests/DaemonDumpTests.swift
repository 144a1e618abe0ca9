import Foundation
import LiteSafeCore
import Logging
import TestSupport
import Testing

@testable import LiteSafeDaemon

@Suite("Daemon: scheduled dumps (dump_schedule)")
struct DaemonDumpTests {
    /// One prepared store for every location.
    struct OneStore: StoreFactory {
        let store: InMemoryStore
        func makeStore(at location: StoreLocation) -> any BackupStore { store }
    }

    @Test("start-up schedules backups from the newest snapshot and dumps from the newest dump")
    func historyKeepsTheKindsApart() throws {
        let snapshot = RetentionFixture.backup("2026-11-26T10:00:00Z")
        let dump = RetentionFixture.dump(RetentionFixture.backup("2026-11-26T11:00:00Z"))
        let stores = OneStore(store: try InMemoryStore([snapshot, dump]))
        let configuration = Configuration(
            stateDirectory: "/var/lib/litesafe",
            databases: [
                Configuration.Database(
                    name: "app", path: "/srv/app.db", store: .directory("/backups"), encryption: .none,
                    dumpSchedule: .every(.seconds(86_400)))
            ], sourceFile: "/etc/litesafe/litesafe.yml")
        let history = Daemon.readHistory(
            of: configuration.databases, stores: stores, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        // A newer dump must not make the snapshot look newer than it is (nor the reverse).
        #expect(history.lastRuns["app"] == snapshot.manifest.created)
        #expect(history.backups["app"]?.file == snapshot.manifest.file)
        #expect(history.retained["app"] == 1)
        #expect(history.lastDumps["app"] == dump.manifest.created)
        #expect(history.dumps["app"]?.file == dump.manifest.file)
    }

    @Test("a due dump is published beside the snapshot, as a dump, and the state records it")
    func dueDumpIsPublished() throws {
        let harness = try DaemonHarness()
        try harness.makeDatabase("app")
        let configuration = try harness.writeConfiguration(
            [("app", ["dump_schedule: every 1d"])], schedule: "every 1d")
        let daemon = harness.daemon(configuration, runner: EngineBackupRunner())
        daemon.start()
        defer { daemon.stopForCleanUp() }

        // Both are due at the first start (neither exists yet); they take turns on the lock.
        #expect(eventually { harness.manifests(of: "app").count == 2 }, "\(harness.files(of: "app"))")
        #expect(eventually { (try? harness.readState())??.database(named: "app")?.lastDump != nil })
        let files = harness.files(of: "app").filter { !$0.hasPrefix(".") && !$0.hasSuffix(".manifest.json") }
        #expect(files.filter { $0.hasSuffix(".sqlite.zst.age") }.count == 1, "\(files)")
        let dumpFile = try #require(files.first { $0.hasSuffix(".sql.zst.age") }, "\(files)")

        let listing = try DirectoryStore(root: harness.backups).listing(of: "app")
        #expect(listing.backups.map(\.manifest.backupKind).sorted { $0.rawValue < $1.rawValue } == [.dump, .snapshot])
        #expect(listing.backups.first { $0.manifest.isDump }?.manifest.file == dumpFile)
        let state = try #require(try harness.readState()?.database(named: "app"))
        #expect(state.lastDump?.file == dumpFile)
        #expect(state.lastSuccess?.file?.hasSuffix(".sqlite.zst.age") == true, "a dump is not the last snapshot")
        #expect(harness.logs.entries(.backupFailed).isEmpty)
    }
}
