import Foundation
import LiteSafeCore
import LiteSafeDaemon
import Logging
import TestSupport
import Testing

@Suite("Daemon: reload (SIGHUP)")
struct DaemonReloadTests {
    @Test("a good file: the added database is backed up, the removed one unscheduled with its backups kept")
    func goodReloadAppliesTheDifference() throws {
        let harness = try DaemonHarness()
        for name in ["app", "old", "crm"] { try harness.makeDatabase(name) }
        let daemon = harness.daemon(try harness.writeConfiguration(["app", "old"]), runner: EngineBackupRunner())
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { harness.logs.entries(.backupCompleted).count == 2 })
        #expect(harness.manifests(of: "app").count == 1 && harness.manifests(of: "old").count == 1)
        let oldFiles = harness.files(of: "old")

        try harness.writeConfiguration(["app", "crm"])
        daemon.reload()
        let reloaded = try #require(harness.logs.entries(.reloadSucceeded).first)
        #expect(reloaded.message == "reloaded \(harness.configurationPath): added crm; removed old (backups kept)")
        #expect(eventually { harness.manifests(of: "crm").count == 1 })
        let messages = harness.notifier.messages
        let reloading = try #require(messages.firstIndex(of: "RELOADING=1"))
        #expect(messages[(reloading + 1)...].contains { $0.hasPrefix("READY=1\nSTATUS=2 databases") })
        #expect(daemon.statusLine.hasPrefix("2 databases · "))

        // An hour later app and crm are due again; old is not, and its backups are as they were.
        harness.clock.advance(by: .seconds(3_601))
        daemon.tick()
        #expect(eventually { harness.manifests(of: "app").count == 2 && harness.manifests(of: "crm").count == 2 })
        #expect(harness.files(of: "old") == oldFiles)
    }

    @Test("a new destination gets a backup at once, not at the next scheduled time; the old backups stay")
    func newDestinationIsBackedUpSoon() throws {
        let harness = try DaemonHarness()
        try harness.makeDatabase("app")
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: EngineBackupRunner())
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { harness.logs.entries(.backupCompleted).count == 1 })
        let oldFiles = harness.files(of: "app")

        let elsewhere = harness.directory.path + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try harness.writeConfiguration([("app", ["destination: \(elsewhere)"])])
        daemon.reload()
        #expect(
            harness.logs.entries(.reloadSucceeded).first?.message
                == "reloaded \(harness.configurationPath): app now stores its backups in \(elsewhere)/app")
        // The clock has not moved: only the new place's missing history makes it due.
        #expect(eventually { harness.logs.entries(.backupCompleted).count == 2 })
        let moved = (try? FileManager.default.contentsOfDirectory(atPath: elsewhere + "/app")) ?? []
        let manifests = moved.filter { $0.hasSuffix(".manifest.json") && !$0.hasPrefix(".") }
        #expect(manifests.count == 1)
        #expect(harness.files(of: "app") == oldFiles)
        // The state (what `status` and the metrics read) describes the backup in the new place.
        let stem = String(manifests[0].dropLast(".manifest.json".count))
        #expect(
            eventually {
                daemon.tick()
                let entry = try? harness.readState()?.databases.first { $0.name == "app" }
                return entry?.lastSuccess?.file == stem + ".sqlite.zst.age" && entry?.retained == 1
            })
    }

    @Test("after a move, the state forgets the old folder's backup until one is made in the new one")
    func moveForgetsTheOldPlace() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner(.succeed)
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { runner.calls == ["app"] })
        #expect(
            eventually {
                daemon.tick()
                return (try? harness.readState())??.databases.first?.lastSuccess != nil
            })

        runner.set(.block, for: "app")
        let elsewhere = harness.directory.path + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: false)
        try harness.writeConfiguration([("app", ["destination: \(elsewhere)"])])
        daemon.reload()
        #expect(eventually { runner.running == ["app"] })  // the catch-up in the new place
        let entry = try #require(try harness.readState()?.databases.first { $0.name == "app" })
        #expect(entry.lastSuccess == nil)
        #expect(entry.retained == 0)
        runner.release("app")
    }

    @Test("another source file is backed up at once, into the same folder")
    func newPathIsBackedUpSoon() throws {
        let harness = try DaemonHarness()
        for name in ["app", "app2"] { try harness.makeDatabase(name) }
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: EngineBackupRunner())
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { harness.logs.entries(.backupCompleted).count == 1 })
        try harness.writeConfiguration([("app", ["path: \(harness.data)/app2.db"])])
        daemon.reload()
        #expect(
            harness.logs.entries(.reloadSucceeded).first?.message
                == "reloaded \(harness.configurationPath): app now backs up \(harness.data)/app2.db")
        #expect(eventually { harness.manifests(of: "app").count == 2 })
    }

    @Test("a backup in flight finishes under the configuration it started with")
    func inFlightBackupKeepsItsConfiguration() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner(.block)
        let daemon = harness.daemon(try harness.writeConfiguration([("app", ["compression: zstd:3"])]), runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { runner.running == ["app"] })

        try harness.writeConfiguration([("app", ["compression: zstd:9", "schedule: every 2h"])])
        daemon.reload()
        #expect(harness.logs.entries(.reloadSucceeded).first?.message.hasSuffix(": rescheduled app") == true)
        runner.release("app")
        #expect(eventually { runner.running.isEmpty })
        harness.clock.advance(by: .seconds(2 * 3_600))
        runner.set(.succeed, for: "app")
        daemon.tick()
        #expect(eventually { runner.jobs.count == 2 })
        #expect(runner.jobs.map(\.compression) == [.zstd(level: 3), .zstd(level: 9)])
    }

    @Test("a broken file is refused: the old configuration keeps running, the log says why, the status says so")
    func badReloadKeepsTheOldConfiguration() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner()
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { runner.calls == ["app"] })

        let good = try String(contentsOfFile: harness.configurationPath, encoding: .utf8)
        try harness.write(good.replacingOccurrences(of: "  schedule:", with: "  shedule:"))
        daemon.reload()

        let failure = try #require(harness.logs.entries(.reloadFailed).first)
        #expect(failure.level == .error)
        #expect(
            failure.message.hasPrefix(
                "reload of \(harness.configurationPath) refused, still running the previous configuration; 1 error: \(harness.configurationPath):2:3:"
            ))
        #expect(failure.message.contains("shedule"))
        #expect(harness.logs.entries(.reloadSucceeded).isEmpty)
        #expect(daemon.statusLine.hasSuffix(" · reload failed: see journal"))
        #expect(harness.notifier.messages.last?.hasPrefix("READY=1\nSTATUS=") == true)
        #expect(harness.notifier.messages.last?.hasSuffix("reload failed: see journal") == true)

        // Still backing up on the old schedule.
        harness.clock.advance(by: .seconds(3_600))
        daemon.tick()
        #expect(eventually { runner.calls == ["app", "app"] })

        // A good file clears the failure.
        try harness.write(good)
        daemon.reload()
        #expect(harness.logs.entries(.reloadSucceeded).first?.message.hasSuffix(": nothing changed") == true)
        #expect(!daemon.statusLine.contains("reload failed"))
    }

    @Test("a file that has gone missing is refused the same way")
    func missingFileIsRefused() throws {
        let harness = try DaemonHarness()
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: FakeBackupRunner())
        defer { daemon.stopForCleanUp() }
        daemon.start()
        try FileManager.default.removeItem(atPath: harness.configurationPath)
        daemon.reload()
        #expect(harness.logs.entries(.reloadFailed).first?.message.contains("configuration file not found") == true)
        #expect(daemon.statusLine.contains("1 database"))
    }
}
