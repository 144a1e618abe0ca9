import Foundation
import LiteSafeCore
import LiteSafeDaemon
import Logging
import TestSupport
import Testing

@Suite("Daemon: backups on schedule")
struct DaemonSchedulingTests {
    @Test("the first backup of a database with none runs right after start, with the real engine and clock")
    func firstBackupRunsSoonAfterStart() throws {
        let harness = try DaemonHarness()
        try harness.makeDatabase("app")
        let daemon = harness.daemon(
            try harness.writeConfiguration(["app"]), runner: EngineBackupRunner(), systemClock: true)
        defer { daemon.stopForCleanUp() }
        daemon.start()

        #expect(harness.notifier.messages.first?.hasPrefix("READY=1\nSTATUS=1 database · ") == true)
        #expect(eventually { harness.manifests(of: "app").count == 1 }, "no backup within 2 s")
        #expect(eventually { daemon.statusLine.contains("last: app ok") })
        #expect(daemon.statusLine.contains("0 failing"))
        #expect(harness.logs.entries(.daemonStarted).count == 1)
        #expect(harness.logs.entries(.backupCompleted).first?.database == "app")
    }

    @Test("a database backed up recently waits for its next time instead of running at start")
    func recentBackupIsNotRepeatedAtStart() throws {
        let harness = try DaemonHarness()
        try harness.makeDatabase("app")
        let configuration = try harness.writeConfiguration(["app"])
        try FileSystem.makeDirectory(configuration.stateDirectory)
        _ = try BackupEngine().backUp(
            configuration.backupJob(for: configuration.databases[0], stores: StandardStoreFactory()),
            logger: harness.logs.logger)
        let runner = FakeBackupRunner()
        let daemon = harness.daemon(configuration, runner: runner, systemClock: true)
        defer { daemon.stopForCleanUp() }
        daemon.start()
        daemon.tick()
        #expect(runner.calls.isEmpty)
        #expect(daemon.statusLine.contains("last: app ok"))
    }

    @Test("a store retry that cannot open any store is logged, retried later, and never counts as a failed backup")
    func storeRetryThatFails() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner()
        runner.setMissedStores(["offsite": "the bucket is on fire"], for: "app")
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { harness.logs.entries(.backupRetry).count == 1 })
        runner.set(.fail, for: "app")
        harness.clock.advance(by: .seconds(30))
        daemon.tick()
        #expect(eventually { harness.logs.entries(.storeFailed).count == 1 })
        #expect(
            harness.logs.entries(.storeFailed).first?.message
                == "the store retry of 'app' failed: the disk of 'app' is on fire")
        #expect(
            eventually {
                harness.logs.entries(.backupRetry).last?.message
                    == "store 'offsite' of 'app' will be given the backups missed there at 12:01:30 (in 1m, store retry 3)"
            })
        #expect(harness.logs.entries(.backupFailed).isEmpty)
        #expect(daemon.statusLine.contains("last: app ok 12:00:00"))
    }

    @Test(
        "at start the newest backup in any of a database's stores counts: an empty first store does not force a backup")
    func newestBackupInAnyStoreCounts() throws {
        let harness = try DaemonHarness()
        try harness.makeDatabase("app")
        let first = harness.directory.path + "/first"
        let second = harness.directory.path + "/second"
        try FileSystem.makeDirectory(first)
        try FileSystem.makeDirectory(second)
        let configuration = try harness.writeConfiguration(
            [("app", ["stores: [first, second]"])],
            extra: ["stores:", "  first: { path: \(first) }", "  second: { path: \(second) }"])
        try FileSystem.makeDirectory(configuration.stateDirectory)
        // Only the second store holds a (recent) backup, as when the first was down or added since.
        var job = configuration.backupJob(for: configuration.databases[0], stores: StandardStoreFactory())
        job.targets = [job.targets[1]]
        _ = try BackupEngine().backUp(job, logger: harness.logs.logger)
        let runner = FakeBackupRunner()
        let daemon = harness.daemon(configuration, runner: runner, systemClock: true)
        defer { daemon.stopForCleanUp() }
        daemon.start()
        daemon.tick()
        #expect(runner.calls.isEmpty)
        #expect(daemon.statusLine.contains("last: app ok"))
    }

    @Test("at most max_concurrent_backups run at once; the others wait their turn")
    func maxConcurrencyQueues() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner(.block)
        let daemon = harness.daemon(try harness.writeConfiguration(["a", "b", "c"], maxConcurrent: 2), runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()

        #expect(eventually { runner.running == ["a", "b"] })
        daemon.tick()
        #expect(runner.calls.sorted() == ["a", "b"])
        #expect(daemon.statusLine.contains("3 databases · backing up: a, b"))

        runner.release("a")
        #expect(eventually { runner.running == ["b", "c"] })
        runner.release("b")
        runner.release("c")
        #expect(eventually { runner.running.isEmpty })
        #expect(runner.calls.sorted() == ["a", "b", "c"])
        #expect(runner.maxConcurrent == 2)
    }

    @Test("a database never has two backups at once, however overdue it gets")
    func sameDatabaseNeverTwice() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner(.block)
        let daemon = harness.daemon(try harness.writeConfiguration(["app"], schedule: "every 1s"), runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { runner.running == ["app"] })

        for _ in 0..<5 {
            harness.clock.advance(by: .seconds(10))
            daemon.tick()
        }
        #expect(runner.calls == ["app"])

        // Once it ends, the overdue run starts at once, and only one.
        runner.release("app")
        #expect(eventually { runner.calls == ["app", "app"] })
        daemon.tick()
        #expect(runner.calls == ["app", "app"])
        #expect(runner.overlaps.isEmpty)
    }

    @Test("a failed backup is logged with its reason and retried after 30 s")
    func failingBackupRetriesAndLogs() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner(.fail)
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()

        #expect(eventually { harness.logs.entries(.backupRetry).count == 1 })
        let failure = try #require(harness.logs.entries(.backupFailed).first)
        #expect(failure.level == .error)
        #expect(failure.database == "app")
        #expect(failure.message == "backup of 'app' failed: the disk of 'app' is on fire")
        #expect(failure.metadata[LogKey.error] == "the disk of 'app' is on fire")
        let retry = try #require(harness.logs.entries(.backupRetry).first)
        #expect(retry.message == "the backup of 'app' will be retried at 12:00:30 (in 30s, attempt 2)")
        #expect(daemon.statusLine.hasSuffix("last: app failed 12:00:00 · next: app 12:00:30 · 1 failing"))

        // Not before its time…
        harness.clock.advance(by: .seconds(29))
        daemon.tick()
        #expect(runner.calls == ["app"])
        // …then the retry, which succeeds.
        runner.set(.succeed, for: "app")
        harness.clock.advance(by: .seconds(1))
        daemon.tick()
        #expect(eventually { daemon.statusLine.contains("last: app ok 12:00:30 (4.1 MB)") })
        #expect(runner.calls == ["app", "app"])
        #expect(daemon.statusLine.hasSuffix("0 failing"))
        #expect(harness.logs.entries(.backupRetry).last?.message == "retrying the backup of 'app' (attempt 2)")
    }

    @Test("a backup that missed a store retries only that store, with backoff, and takes no new backup meanwhile")
    func missedStoreIsRetriedWithBackoff() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner()
        runner.setMissedStores(["offsite": "the bucket is on fire"], for: "app")
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()

        #expect(eventually { harness.logs.entries(.backupRetry).count == 1 })
        #expect(
            harness.logs.entries(.backupRetry).first?.message
                == "store 'offsite' of 'app' will be given the backups missed there at 12:00:30 (in 30s, store retry 2)"
        )
        #expect(harness.logs.entries(.backupFailed).isEmpty)
        #expect(eventually { daemon.statusLine.contains("last: app ok 12:00:00") })

        // Not before its time…
        harness.clock.advance(by: .seconds(29))
        daemon.tick()
        #expect(runner.storeRetries.isEmpty)
        // …then a store retry, not a backup; the store is still behind, so the next waits twice as long.
        harness.clock.advance(by: .seconds(1))
        daemon.tick()
        #expect(eventually { harness.logs.entries(.backupRetry).count == 3 })
        #expect(runner.storeRetries == ["app"])
        #expect(runner.calls == ["app"])
        #expect(
            harness.logs.entries(.backupRetry).map(\.message).suffix(2) == [
                "giving store 'offsite' of 'app' the backups missed there (store retry 2)",
                "store 'offsite' of 'app' will be given the backups missed there at 12:01:30 (in 1m, store retry 3)",
            ])
        #expect(eventually { (try? harness.readState())??.databases.first?.stores?.last?.consecutiveFailures == 2 })

        // The store works again: the retry brings it up to date, and no more retries follow.
        runner.setMissedStores([:], for: "app")
        harness.clock.advance(by: .seconds(60))
        daemon.tick()
        #expect(
            eventually {
                harness.logs.entries(.backupRetry).last?.message == "every store of 'app' holds its backups again"
            })
        #expect(runner.storeRetries == ["app", "app"])
        #expect(runner.calls == ["app"])
        #expect(daemon.statusLine.contains("last: app ok 12:00:00"))
        #expect(eventually { (try? harness.readState())??.databases.first?.stores?.last?.consecutiveFailures == 0 })
        harness.clock.advance(by: .seconds(30 * 60))
        daemon.tick()
        harness.clock.advance(by: .seconds(30 * 60))
        daemon.tick()
        // The next scheduled backup runs at 13:00, and it is the first run since.
        #expect(eventually { runner.calls == ["app", "app"] })
        #expect(runner.storeRetries == ["app", "app"])
    }

    @Test("a backup cleans its stores up unless the daemon's last run there succeeded everywhere")
    func cleanupOnlyWhenNeeded() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner(.fail)
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { harness.logs.entries(.backupRetry).count == 1 })
        // The retry after a failure cleans up; the run after a success does not.
        runner.set(.succeed, for: "app")
        harness.clock.advance(by: .seconds(30))
        daemon.tick()
        #expect(eventually { daemon.statusLine.contains("last: app ok") })
        harness.clock.advance(by: .seconds(3_600))
        daemon.tick()
        #expect(eventually { runner.calls.count == 3 && runner.running.isEmpty })
        #expect(runner.jobs.map(\.removesLeftovers) == [true, true, false])
    }

    @Test("the status line follows every change and systemd hears it")
    func statusIsPublished() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner(.block)
        let daemon = harness.daemon(try harness.writeConfiguration(["app", "crm"]), runner: runner)
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { harness.notifier.statuses.contains { $0.contains("backing up: app") } })
        runner.release("app")
        #expect(
            eventually {
                harness.notifier.statuses.last
                    == "2 databases · backing up: crm · last: app ok 12:00:00 (4.1 MB) · next: app 13:00:00 · 0 failing"
            }, "\(harness.notifier.statuses)")
        runner.release("crm")
    }
}
