import Foundation
import LiteSafeCore
import LiteSafeDaemon
import Logging
import TestSupport
import Testing

@Suite("Daemon: start-up")
struct DaemonStartupTests {
    /// Files an interrupted run leaves: a hidden temporary and a data file whose manifest never came.
    static let leftovers = [
        AtomicFile.temporaryPrefix + "1a2b3c-app-20260101T000000.000000Z.sqlite.zst.age",
        "app-20260101T000000.000000Z.sqlite.zst.age",
    ]

    /// With the intent record the interrupted run made before publishing its data file.
    func makeLeftovers(in harness: DaemonHarness) throws {
        let folder = harness.backups + "/app"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in Self.leftovers { try Data("partial".utf8).write(to: URL(fileURLWithPath: folder + "/" + name)) }
        try Data().write(to: URL(fileURLWithPath: folder + "/" + Self.intent))
        // And a snapshot it staged: plaintext, so it must not wait for the next backup.
        try FileManager.default.createDirectory(atPath: harness.staging, withIntermediateDirectories: true)
        try Data("snapshot".utf8).write(to: URL(fileURLWithPath: harness.staging + "/app.0a1b2c.staging"))
    }

    static let intent = DirectoryStore.intentPrefix + "app-20260101T000000.000000Z"

    @Test("leftovers of interrupted runs are removed at start, each logged")
    func leftoversAreRemoved() throws {
        let harness = try DaemonHarness()
        try makeLeftovers(in: harness)
        let runner = FakeBackupRunner(.block)
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(harness.files(of: "app") == [".lock"])
        #expect(!FileManager.default.fileExists(atPath: harness.staging + "/app.0a1b2c.staging"))
        let removed = harness.logs.entries(.leftoverRemoved)
        #expect(removed.map(\.level) == [.notice, .notice, .notice])
        #expect(
            Set(removed.compactMap { $0.metadata[LogKey.path].map { "\($0)" } })
                == Set(
                    Self.leftovers.map { harness.backups + "/app/" + $0 } + [harness.staging + "/app.0a1b2c.staging"]))
    }

    @Test("a database whose lock another process holds is left alone")
    func lockedDatabaseIsSkipped() throws {
        let harness = try DaemonHarness()
        try makeLeftovers(in: harness)
        let lock = try DirectoryStore(root: harness.backups).lock(database: "app")
        defer { lock.release() }
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: FakeBackupRunner(.block))
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(harness.files(of: "app") == ([".lock", Self.intent] + Self.leftovers).sorted())
        #expect(FileManager.default.fileExists(atPath: harness.staging + "/app.0a1b2c.staging"))
        #expect(harness.logs.entries(.leftoverRemoved).isEmpty)
        #expect(
            harness.logs.entries.contains {
                $0.message == "another backup or prune of 'app' is running; leaving its folder to it"
            })
    }

    @Test("start logs the version and the configuration, and warns once about SQLite's WAL-reset bug")
    func startLogs() throws {
        let harness = try DaemonHarness()
        let daemon = harness.daemon(try harness.writeConfiguration(["app", "crm"]), runner: FakeBackupRunner())
        defer { daemon.stopForCleanUp() }
        daemon.start()
        daemon.start()
        #expect(
            harness.logs.entries(.daemonStarted).map(\.message) == [
                "litesafe \(LiteSafeVersion.current) started: 2 databases from \(harness.configurationPath)"
            ])
        #expect(harness.logs.entries(.sqliteWarning).count == (SQLiteInfo.hasWALResetBug ? 1 : 0))
        #expect(harness.logs.entries(.sqliteWarning).allSatisfy { $0.level == .notice })
    }

    @Test("the state folder is created when missing")
    func makesTheStateFolder() throws {
        let harness = try DaemonHarness()
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: FakeBackupRunner())
        defer { daemon.stopForCleanUp() }
        #expect(!FileManager.default.fileExists(atPath: harness.directory.path + "/state"))
        daemon.start()
        #expect(FileManager.default.fileExists(atPath: harness.directory.path + "/state"))
    }
}
