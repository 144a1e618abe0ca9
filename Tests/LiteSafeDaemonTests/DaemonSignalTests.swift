import Foundation
import LiteSafeCore
import LiteSafeDaemon
import Logging
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Daemon: real signals")
struct DaemonSignalTests {
    @Test("SIGHUP sent to the process with kill(2) reloads the daemon")
    func realSIGHUPReloads() throws {
        // The test runner's threads do not block SIGHUP, and its default action ends the process.
        // A handler of our own covers the moment before the Dispatch source registers; from then
        // on Dispatch's own handler passes a SIGHUP taken by any thread on to its signalfd, and
        // blocking it here keeps this thread out of the way.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigaction(SIGHUP, &action, nil)
        DaemonSignal.block([.hangUp])

        let harness = try DaemonHarness()
        let runner = FakeBackupRunner()
        let daemon = harness.daemon(
            try harness.writeConfiguration(["app"]), runner: runner, options: DaemonOptions(signals: [.hangUp]))
        defer { daemon.stopForCleanUp() }
        daemon.start()
        // READY=1 comes once the signal source is registered.
        #expect(eventually { harness.notifier.count("READY=1") == 1 })

        try harness.writeConfiguration(["app", "crm"])
        kill(getpid(), SIGHUP)
        #expect(eventually { harness.notifier.count("READY=1") == 2 }, "\(harness.notifier.messages)")
        #expect(harness.notifier.count("RELOADING=1") == 1)
        #expect(harness.logs.entries(.reloadSucceeded).first?.message.hasSuffix(": added crm") == true)
        #expect(eventually { runner.calls.sorted() == ["app", "crm"] })
    }
}
