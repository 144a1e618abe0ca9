import Foundation
import LiteSafeCore
import TestSupport
import Testing

@testable import LiteSafeDaemon

@Suite("Daemon: slow stores stay off the queue that pings the watchdog")
struct DaemonStorageTests {
    @Test("while start-up's store reading hangs, the watchdog pings go on and a stop ends it at once")
    func hungStoreAtStartUp() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner()
        let daemon = harness.daemon(
            try harness.writeConfiguration(["app"]), runner: runner,
            options: DaemonOptions(watchdogInterval: .milliseconds(100)))
        let store = HungStore()
        daemon.storeWorkWillStart = { store.enterAndHang() }
        defer { store.release() }
        let started = DispatchSemaphore(value: 0)
        Thread {
            daemon.start()
            started.signal()
        }
        .start()

        #expect(eventually { store.isHung })
        // Pings come from the daemon's queue: they prove it is not waiting for the store.
        #expect(eventually { harness.notifier.count("WATCHDOG=1") >= 3 })
        #expect(harness.notifier.count("READY=1") == 0)

        let stopped = DispatchSemaphore(value: 0)
        Thread {
            daemon.stop(reason: "SIGTERM")
            stopped.signal()
        }
        .start()
        #expect(stopped.wait(timeout: .now() + 10) == .success)
        #expect(daemon.waitUntilStopped(timeout: .seconds(10)) == 0)
        #expect(started.wait(timeout: .now() + 10) == .success)
        #expect(harness.notifier.count("STOPPING=1") == 1)

        // The store answers after all: nothing starts, nothing is written.
        store.release()
        #expect(eventually { store.isReleased && FileManager.default.fileExists(atPath: harness.state) })
        #expect(runner.calls.isEmpty)
        #expect(harness.notifier.count("READY=1") == 0)
        #expect(try harness.readState() == nil)
    }

    @Test("a reload asked for while start-up reads the stores is applied once it has")
    func reloadDuringStartUp() throws {
        let harness = try DaemonHarness()
        let runner = FakeBackupRunner()
        let daemon = harness.daemon(try harness.writeConfiguration(["app"]), runner: runner)
        defer { daemon.stopForCleanUp() }
        let store = HungStore()
        daemon.storeWorkWillStart = { store.enterAndHang() }
        defer { store.release() }
        let started = DispatchSemaphore(value: 0)
        Thread {
            daemon.start()
            started.signal()
        }
        .start()
        #expect(eventually { store.isHung })

        try harness.writeConfiguration(["app", "crm"])
        let reloaded = DispatchSemaphore(value: 0)
        Thread {
            daemon.reload()
            reloaded.signal()
        }
        .start()
        #expect(eventually { daemon.queue.sync { daemon.machine.reloadQueued } })
        #expect(harness.notifier.count("RELOADING=1") == 0)
        store.release()
        #expect(started.wait(timeout: .now() + 10) == .success)
        #expect(reloaded.wait(timeout: .now() + 10) == .success)
        #expect(harness.logs.entries(.reloadSucceeded).count == 1)
        #expect(eventually { Set(runner.calls) == ["app", "crm"] })
    }
}

/// Stands for a store that does not answer (a dead NFS server): blocks whoever reads it until
/// the test releases it.
private final class HungStore: @unchecked Sendable {
    private let condition = NSCondition()
    private var hung = false
    private var released = false
    private var answered = false

    var isHung: Bool { condition.withLock { hung } }
    /// Whether the reader it held has gone on.
    var isReleased: Bool { condition.withLock { answered } }

    func enterAndHang() {
        condition.withLock {
            hung = true
            while !released { condition.wait() }
            answered = true
        }
    }

    func release() {
        condition.withLock {
            released = true
            condition.broadcast()
        }
    }
}
