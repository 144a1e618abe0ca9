import Foundation
import LiteSafeCore
import LiteSafeDaemon
import TestSupport
import Testing

@Suite("Daemon: state file and metrics")
struct DaemonStateTests {
    @Test("start writes the state with every database, its next run and no backup yet")
    func stateAtStart() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner(.block)
        let daemon = harness.daemon(try harness.writeConfiguration(["app", "crm"], maxConcurrent: 1), runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()

        let state = try #require(try harness.readState())
        #expect(state.pid == ProcessInfo.processInfo.processIdentifier)
        #expect(state.started == harness.clock.now().wall)
        #expect(state.stopped == nil)
        #expect(state.configFile == harness.configurationPath)
        #expect(state.databases.map(\.name) == ["app", "crm"])
        #expect(state.databases.allSatisfy { $0.lastSuccess == nil && $0.lastFailure == nil })
        #expect(state.databases.filter(\.running).count == 1)
        #expect(state.databases.allSatisfy { $0.nextRun != nil })
        let mode = try FileManager.default.attributesOfItem(atPath: harness.state + "/state.json")[.posixPermissions]
        #expect(mode as? Int == 0o600)
    }

    @Test("a success records time, file, size, duration and retained; a failure its reason and counts")
    func successAndFailure() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner()
        runner.set(.fail, for: "crm")
        let daemon = harness.daemon(try harness.writeConfiguration(["app", "crm"], maxConcurrent: 2), runner: runner)
        defer { daemon.stopForCleanUp() }
        let started = harness.clock.now().wall
        daemon.start()

        #expect(
            eventually {
                let state = try? harness.readState()
                return state?.database(named: "app")?.lastSuccess != nil
                    && state?.database(named: "crm")?.lastFailure != nil
            })
        let state = try #require(try harness.readState())
        let app = try #require(state.database(named: "app"))
        #expect(app.lastSuccess?.time == started)
        #expect(app.lastSuccess?.sizeBytes == 4_100_000)
        #expect(app.lastSuccess?.durationSeconds != nil)
        #expect(!app.isFailing)
        let crm = try #require(state.database(named: "crm"))
        #expect(crm.lastFailure?.reason == "the disk of 'crm' is on fire")
        #expect(crm.consecutiveFailures == 1)
        #expect(crm.failuresTotal == 1)
        #expect(crm.lastSuccess == nil)

        // The retry fails again, then one succeeds: the reason is kept, the run of failures ends.
        harness.clock.advance(by: .seconds(30))
        daemon.tick()
        #expect(eventually { (try? harness.readState())?.database(named: "crm")?.failuresTotal == 2 })
        runner.set(.succeed, for: "crm")
        harness.clock.advance(by: .seconds(60))
        daemon.tick()
        #expect(eventually { (try? harness.readState())?.database(named: "crm")?.lastSuccess != nil })
        let after = try #require(try harness.readState()?.database(named: "crm"))
        #expect(after.consecutiveFailures == 0)
        #expect(after.failuresTotal == 2)
        #expect(after.lastFailure?.reason == "the disk of 'crm' is on fire")
    }

    @Test("the real engine's backup records its file name and the store's count; a restart keeps the history")
    func realBackupAndRestart() throws {
        let harness = try DaemonHarness()
        try harness.makeDatabase("app")
        let configuration = try harness.writeConfiguration(["app"])
        let daemon = harness.daemon(configuration, runner: EngineBackupRunner())
        daemon.start()
        #expect(eventually { (try? harness.readState())?.database(named: "app")?.lastSuccess != nil })
        daemon.stopForCleanUp()
        let first = try #require(try harness.readState())
        #expect(first.stopped != nil)
        let record = try #require(first.database(named: "app")?.lastSuccess)
        #expect(record.file.map { harness.files(of: "app").contains($0) } == true)
        #expect(first.database(named: "app")?.retained == 1)

        harness.clock.advance(by: .seconds(60))
        let again = harness.daemon(configuration, runner: FakeBackupRunner())
        defer { again.stopForCleanUp() }
        again.start()
        let second = try #require(try harness.readState())
        #expect(second.stopped == nil)
        #expect(second.started == harness.clock.now().wall)
        #expect(second.database(named: "app")?.lastSuccess == record, "the duration survives the restart")
    }

    @Test("metrics_textfile is written 0644 after each change and parses as Prometheus text")
    func metricsTextfile() throws {
        let harness = try DaemonHarness()
        let metrics = harness.directory.path + "/textfile/litesafe.prom"
        try FileManager.default.createDirectory(
            atPath: harness.directory.path + "/textfile", withIntermediateDirectories: true)
        let runner = FakeBackupRunner()
        runner.set(.fail, for: "crm")
        let daemon = harness.daemon(
            try harness.writeConfiguration(["app", "crm"], maxConcurrent: 2, extra: ["metrics_textfile: \(metrics)"]),
            runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(
            eventually {
                let text = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
                return text.contains("litesafe_backup_size_bytes{database=\"app\"}")
                    && text.contains("litesafe_backup_failures_total{database=\"crm\"} 1")
            })
        let samples = try PrometheusText.parse(file: metrics)
        #expect(samples["litesafe_backup_size_bytes", "app"] == 4_100_000)
        #expect(samples["litesafe_backup_failures_total", "crm"] == 1)
        #expect(samples["litesafe_backup_failures_total", "app"] == 0)
        #expect(samples["litesafe_backup_failing", "crm"] == 1)
        #expect(samples["litesafe_backup_last_success_timestamp_seconds", "crm"] == nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: metrics)
        #expect(attributes[.posixPermissions] as? Int == 0o644)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: harness.directory.path + "/textfile") == [
                "litesafe.prom"
            ])
    }

    @Test("an unwritable metrics folder is logged once with the fix, and writing resumes when it is fixed")
    func unwritableMetricsFolder() throws {
        let harness = try DaemonHarness()
        let folder = harness.directory.path + "/textfile"
        try Mount.tmpfs(at: folder, size: "64k")
        defer { Mount.unmount(folder) }
        try Mount.remountReadOnly(folder)
        let metrics = folder + "/litesafe.prom"
        let daemon = harness.daemon(
            try harness.writeConfiguration(["app"], extra: ["metrics_textfile: \(metrics)"]), runner: FakeBackupRunner()
        )
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { (try? harness.readState())?.database(named: "app")?.lastSuccess != nil })
        let failures = harness.logs.entries(.stateWriteFailed)
        #expect(failures.count == 1, "logged once, not at every write: \(failures)")
        #expect(failures.first?.message.contains("ReadWritePaths=\(folder)") == true, "\(failures)")
        #expect(!FileManager.default.fileExists(atPath: metrics))

        _ = try Subprocess.run("mount", ["-o", "remount,rw", folder])
        harness.clock.advance(by: DaemonState.heartbeat)
        daemon.tick()
        #expect(eventually { FileManager.default.fileExists(atPath: metrics) })
        #expect(eventually { harness.logs.entries.contains { $0.message.contains("\(metrics) is written again") } })
        #expect(harness.logs.entries(.stateWriteFailed).count == 1)
    }

    @Test("backups' results are written at most once per interval of the daemon's clock, not of real time")
    func resultsBatchedOnTheInjectedClock() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner(.block)
        let daemon = harness.daemon(
            try harness.writeConfiguration(["app"]), runner: runner, stateWriteInterval: .seconds(1))
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(try harness.readState()?.database(named: "app")?.running == true)

        runner.release("app")
        #expect(eventually { daemon.statusLine.contains("last: app ok") })
        daemon.tick()
        #expect(try harness.readState()?.database(named: "app")?.lastSuccess == nil, "written within the interval")

        harness.clock.advance(by: .seconds(1))
        daemon.tick()
        #expect(try harness.readState()?.database(named: "app")?.lastSuccess != nil)
    }
}
