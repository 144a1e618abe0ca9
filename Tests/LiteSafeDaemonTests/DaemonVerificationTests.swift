import Foundation
import LiteSafeCore
import LiteSafeDaemon
import Logging
import TestSupport
import Testing

@Suite("Daemon: scheduled verification")
struct DaemonVerificationTests {
    /// Flips one bit in the middle of a file, as bit rot would.
    static func flipBit(in path: String) throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x04
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A daemon backing up `app` and `crm` daily with the real engine, verifying hourly.
    static func start(_ harness: DaemonHarness, extra: [String] = []) throws -> Daemon {
        try harness.makeDatabase("app")
        try harness.makeDatabase("crm")
        let configuration = try harness.writeConfiguration(
            ["app", "crm"], schedule: "every 1d", extra: ["verify_schedule: every 1h"] + extra)
        let daemon = harness.daemon(configuration, runner: EngineBackupRunner())
        daemon.start()
        #expect(eventually { harness.manifests(of: "app").count == 1 && harness.manifests(of: "crm").count == 1 })
        #expect(eventually { !daemon.statusLine.contains("backing up") })
        return daemon
    }

    @Test("the scrub finds a flipped byte, and the journal, STATUS= and the state name that database")
    func scrubFindsBitRot() throws {
        let harness = try DaemonHarness()
        let daemon = try Self.start(harness)
        defer { daemon.stopForCleanUp() }
        // Not at start: the first verification comes one scheduled time later.
        #expect(harness.logs.entries(.scheduledVerifyCompleted).isEmpty)
        #expect(try harness.readState()?.verification?.nextRun == harness.clock.now().wall.addingTimeInterval(3_600))

        let damaged = try #require(harness.files(of: "app").first { $0.hasSuffix(".sqlite.zst.age") })
        try Self.flipBit(in: harness.backups + "/app/" + damaged)
        harness.clock.advance(by: .seconds(3_600))
        daemon.tick()

        #expect(eventually { !harness.logs.entries(.scheduledVerifyFailed).isEmpty })
        let failed = harness.logs.entries(.scheduledVerifyFailed)
        #expect(failed.map(\.database) == ["app"])
        #expect(failed.first?.message.contains(damaged) == true)
        #expect(harness.logs.entries(.verifyFailed).first.map { $0.metadata[LogKey.backup] } == .string(damaged))
        #expect(eventually { daemon.statusLine.hasSuffix(" · verify FAILED: app") }, "\(daemon.statusLine)")
        #expect(harness.notifier.statuses.last?.hasSuffix(" · verify FAILED: app") == true)

        let state = try #require(try harness.readState())
        let app = try #require(state.database(named: "app")?.lastVerification)
        #expect(!app.ok)
        #expect(app.kind == .scrub)
        #expect((app.checked, app.failed) == (1, 1))
        #expect(app.reason?.contains(damaged) == true)
        #expect(state.database(named: "app")?.lastVerifySuccess == nil)
        let crm = try #require(state.database(named: "crm"))
        #expect(crm.lastVerification?.ok == true)
        #expect(crm.lastVerifySuccess == harness.clock.now().wall)
        #expect(state.verification?.running == false)
        #expect(state.verification?.lastEnd == harness.clock.now().wall)

        // A restart remembers the failure until a verification passes.
        daemon.stopForCleanUp()
        let again = harness.daemon(
            try ConfigurationLoader.load(path: harness.configurationPath).configuration, runner: FakeBackupRunner())
        defer { again.stopForCleanUp() }
        again.start()
        #expect(again.statusLine.hasSuffix(" · verify FAILED: app"))
    }

    @Test("a clean scrub logs one summary and records every database as verified")
    func cleanScrub() throws {
        let harness = try DaemonHarness()
        let daemon = try Self.start(harness)
        defer { daemon.stopForCleanUp() }
        harness.clock.advance(by: .seconds(3_600))
        daemon.tick()
        #expect(eventually { !harness.logs.entries(.scheduledVerifyCompleted).isEmpty })
        #expect(
            harness.logs.entries(.scheduledVerifyCompleted).first?.message.contains("2 backups of 2 databases ok")
                == true)
        #expect(harness.logs.entries(.scheduledVerifyFailed).isEmpty)
        #expect(eventually { (try? harness.readState())?.database(named: "crm")?.lastVerification?.ok == true })
        #expect(!daemon.statusLine.contains("verify"))
    }

    @Test("with verify_identity it restore-tests every backup, leaving nothing in the state folder")
    func restoreTest() throws {
        let harness = try DaemonHarness()
        let key = harness.directory.path + "/key.txt"
        let made = try Subprocess.run(Subprocess.litesafe, ["keygen", "-o", key])
        let recipient = try #require(made.errorOutput.split(separator: " ").last).trimmingCharacters(
            in: .whitespacesAndNewlines)
        try harness.makeDatabase("app")
        try harness.makeDatabase("crm")
        try harness.writeConfiguration(
            ["app", "crm"], schedule: "every 1d", extra: ["verify_schedule: every 1h", "verify_identity: \(key)"])
        let text = try String(contentsOfFile: harness.configurationPath, encoding: .utf8)
        try harness.write(text.replacingOccurrences(of: DaemonHarness.recipient, with: recipient))
        let daemon = harness.daemon(
            try ConfigurationLoader.load(path: harness.configurationPath).configuration, runner: EngineBackupRunner())
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { harness.manifests(of: "app").count == 1 && harness.manifests(of: "crm").count == 1 })
        #expect(eventually { !daemon.statusLine.contains("backing up") })

        harness.clock.advance(by: .seconds(3_600))
        daemon.tick()
        #expect(eventually { !harness.logs.entries(.scheduledVerifyCompleted).isEmpty }, "\(harness.logs.entries)")
        #expect(eventually { (try? harness.readState())?.verification?.lastEnd != nil })
        let state = try #require(try harness.readState())
        #expect(state.verification?.kind == .restoreTest)
        #expect(state.databases.map { $0.lastVerification?.kind } == [.restoreTest, .restoreTest])
        #expect(state.databases.allSatisfy { $0.lastVerification?.ok == true })
        let left = try FileManager.default.contentsOfDirectory(atPath: harness.state)
        #expect(!left.contains { $0.hasPrefix(".litesafe") }, "\(left)")
    }

    @Test("stop cancels a verification in progress: the daemon exits 0 at once and records no verdict")
    func stopCancels() throws {
        let harness = try DaemonHarness()
        let daemon = try Self.start(harness)
        // A sparse 16 GB stored file: its scrub reads for many seconds.
        let data = try #require(harness.files(of: "app").first { $0.hasSuffix(".sqlite.zst.age") })
        #expect(truncate(harness.backups + "/app/" + data, 16 << 30) == 0)
        harness.clock.advance(by: .seconds(3_600))
        daemon.tick()
        #expect(daemon.statusLine.contains(" · verifying · "))
        #expect(try harness.readState()?.verification?.running == true)

        let asked = Date()
        daemon.stop(reason: "SIGTERM")
        #expect(daemon.waitUntilStopped(timeout: .seconds(5)) == 0)
        #expect(Date().timeIntervalSince(asked) < 3)
        #expect(harness.logs.entries(.scheduledVerifyFailed).isEmpty)
        #expect(harness.logs.entries(.scheduledVerifyCompleted).isEmpty)
        let state = try #require(try harness.readState())
        #expect(state.stopped != nil)
        #expect(state.verification?.running == false)
        #expect(state.database(named: "app")?.lastVerification == nil)
    }

    @Test("a reload adds, reschedules and removes verify_schedule")
    func reload() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner()
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(try harness.readState()?.verification == nil)

        try harness.writeConfiguration(["app"], extra: ["verify_schedule: every 2h"])
        harness.clock.advance(by: .seconds(60))
        daemon.reload()
        let added = try #require(try harness.readState()?.verification)
        #expect(added.schedule == "every 2h")
        #expect(added.kind == .scrub)
        #expect(added.nextRun == harness.clock.now().wall.addingTimeInterval(7_200))

        harness.clock.advance(by: .seconds(7_200))
        daemon.tick()
        // The fake runner stored nothing: nothing to check is not a failure.
        #expect(eventually { !harness.logs.entries(.scheduledVerifyCompleted).isEmpty })
        #expect(eventually { (try? harness.readState())?.database(named: "app")?.lastVerification?.ok == true })

        try harness.writeConfiguration(["app"])
        daemon.reload()
        #expect(try harness.readState()?.verification == nil)
        harness.clock.advance(by: .seconds(7_200))
        daemon.tick()
        #expect(harness.logs.entries(.scheduledVerifyCompleted).count == 1)
    }
}
