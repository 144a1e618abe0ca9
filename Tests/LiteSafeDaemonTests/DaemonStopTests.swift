import Foundation
import LiteSafeCore
import LiteSafeDaemon
import Logging
import TestSupport
import Testing

@Suite("Daemon: stop (SIGTERM, SIGINT)")
struct DaemonStopTests {
    @Test(
        "stopping cancels a real backup in flight: it publishes nothing and leaves no staging or temporary file",
        arguments: ["wal", "delete"])
    func stopCancelsAnInFlightBackup(journalMode: String) throws {
        let harness = try DaemonHarness()
        // 48 MB of random pages at zstd level 19: seconds of work, so the stop lands mid-backup.
        let database = harness.data + "/app.db"
        let made = try Subprocess.run(
            "sqlite3",
            [
                database,
                "PRAGMA journal_mode=\(journalMode); CREATE TABLE t(b BLOB); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 768) INSERT INTO t SELECT randomblob(65536) FROM c;",
            ])
        #expect(made.status == 0, "\(made)")
        let daemon = harness.daemon(
            try harness.writeConfiguration([("app", ["compression: zstd:19"])]), runner: EngineBackupRunner())
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(
            eventually { harness.files(of: "app").contains { $0.hasPrefix(AtomicFile.temporaryPrefix) } },
            "the backup never reached its temporary file")

        daemon.stop(reason: "SIGTERM")
        // A deadline, not a speed target: zstd's workers finish the 4 MiB job they hold before
        // the next chunk sees the cancellation, which takes seconds at level 19 on a loaded machine.
        // What the test holds is that it stops cleanly (status 0) well inside the grace period.
        #expect(daemon.waitUntilStopped(timeout: .seconds(20)) == 0)
        #expect(harness.files(of: "app") == [".lock"])
        if journalMode == "wal" {
            // Captured page by page: no staging copy, not even its folder.
            #expect(!FileSystem.exists(harness.staging))
        } else {
            #expect(try FileManager.default.contentsOfDirectory(atPath: harness.staging).isEmpty)
        }
        #expect(
            harness.logs.entries(.daemonStopping).first?.message == "stopping (SIGTERM); cancelling the backup of 'app'"
        )
        #expect(harness.logs.entries(.backupFailed).isEmpty)
        #expect(
            harness.logs.entries.contains {
                $0.message == "the backup of 'app' stopped: the backup of 'app' was cancelled; nothing was published"
            })
        #expect(harness.notifier.count("STOPPING=1") == 1)
        #expect(harness.notifier.count("EXTEND_TIMEOUT_USEC=") == 1)
    }

    @Test("with nothing in flight it stops at once, with status 0")
    func idleStop() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner()
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: runner)
        daemon.start()
        #expect(eventually { runner.calls == ["app"] && runner.running.isEmpty })
        #expect(eventually { daemon.statusLine.contains("last: app ok") })
        daemon.stop(reason: "SIGINT")
        #expect(daemon.waitUntilStopped(timeout: .seconds(10)) == 0)
        #expect(harness.logs.entries(.daemonStopping).first?.message == "stopping (SIGINT)")
        // Nothing starts after a stop.
        harness.clock.advance(by: .seconds(7_200))
        daemon.tick()
        #expect(runner.calls == ["app"])
    }

    @Test("a backup that ignores its cancellation is abandoned after the grace period, with status 1")
    func hungBackupIsAbandoned() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner(.hang)
        let daemon = harness.daemon(
            try harness.writeConfiguration(["app"]), runner: runner,
            options: DaemonOptions(stopGracePeriod: .milliseconds(200)))
        defer { runner.release("app") }
        daemon.start()
        #expect(eventually { runner.running == ["app"] })
        daemon.stop(reason: "SIGTERM")
        #expect(daemon.waitUntilStopped(timeout: .seconds(10)) == 1)
        let abandoned = try #require(harness.logs.entries(.backupFailed).first)
        #expect(abandoned.level == .error)
        #expect(abandoned.message.hasPrefix("the backup of 'app' did not stop within "))
    }

    @Test("a second stop signal while waiting exits at once")
    func secondSignalExitsAtOnce() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner(.hang)
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: runner)
        defer { runner.release("app") }
        daemon.start()
        #expect(eventually { runner.running == ["app"] })
        daemon.stop(reason: "SIGINT")
        #expect(daemon.waitUntilStopped(timeout: .milliseconds(100)) == nil)
        daemon.stop(reason: "SIGINT")
        #expect(daemon.waitUntilStopped(timeout: .seconds(10)) == 1)
    }
}
