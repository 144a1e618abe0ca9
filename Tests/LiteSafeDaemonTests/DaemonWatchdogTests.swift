import Foundation
import LiteSafeCore
import LiteSafeDaemon
import Logging
import TestSupport
import Testing

@Suite("Daemon: watchdog tied to progress")
struct DaemonWatchdogTests {
    @Test("pings while backups keep within their deadline, not once one has run past it")
    func noPingPastTheDeadline() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner(.hang)
        let daemon = harness.daemon(
            try harness.writeConfiguration(["app"]), runner: runner,
            options: DaemonOptions(backupDeadline: .seconds(3_600)))
        defer {
            runner.release("app")
            daemon.stopForCleanUp()
        }
        daemon.start()
        #expect(eventually { runner.running == ["app"] })

        harness.clock.advance(by: .seconds(3_599))
        #expect(daemon.checkWatchdog())
        #expect(harness.notifier.count("WATCHDOG=1") == 1)

        harness.clock.advance(by: .seconds(1))
        #expect(!daemon.checkWatchdog())
        daemon.tick()
        #expect(!daemon.checkWatchdog())
        #expect(harness.notifier.count("WATCHDOG=1") == 1)
        let overdue = harness.logs.entries(.backupFailed)
        #expect(overdue.count == 1)
        #expect(overdue.first?.level == .error)
        #expect(
            overdue.first?.message
                == "the backup of 'app' has run longer than its 1h deadline; cancelling it, and holding back the watchdog until it ends so that systemd restarts the service if it is stuck"
        )

        // Once the stuck backup ends after all, the pings resume.
        runner.release("app")
        #expect(eventually { daemon.statusLine.contains("last: app ok") })
        #expect(daemon.checkWatchdog())
        #expect(harness.notifier.count("WATCHDOG=1") == 2)
    }

    @Test("an overdue backup that honours its cancellation fails, is retried, and the pings go on")
    func overdueBackupIsCancelledAndRetried() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner(.block)
        let daemon = harness.daemon(
            try harness.writeConfiguration(["app"]), runner: runner,
            options: DaemonOptions(backupDeadline: .seconds(60)))
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { runner.running == ["app"] })
        harness.clock.advance(by: .seconds(61))
        daemon.tick()
        #expect(eventually { harness.logs.entries(.backupRetry).count == 1 })
        #expect(
            harness.logs.entries(.backupFailed).last?.message
                == "backup of 'app' failed: the backup of 'app' was cancelled; nothing was published")
        #expect(daemon.checkWatchdog())
    }

    @Test("the watchdog timer pings on its own at half the interval")
    func timerPings() throws {
        let harness = try DaemonHarness()
        let daemon = harness.daemon(
            try harness.writeConfiguration(["app"]), runner: FakeBackupRunner(),
            options: DaemonOptions(watchdogInterval: .milliseconds(200)))
        defer { daemon.stopForCleanUp() }
        daemon.start()
        #expect(eventually { harness.notifier.count("WATCHDOG=1") >= 3 })
    }
}
