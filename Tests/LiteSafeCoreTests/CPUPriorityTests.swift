import Foundation
import LiteSafeCore
import Synchronization
import TestSupport
import TestTools
import Testing

@Suite("Backup: CPU priority")
struct CPUPriorityTests {
    /// The calling thread's scheduling policy and nice value.
    static func scheduling() -> (policy: Int32, nice: Int32) {
        (sched_getscheduler(0), getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
    }

    /// Runs `body` on a thread of its own (a thread's priority cannot be raised back) and returns
    /// that thread's scheduling before and after.
    func onOwnThread(_ body: @escaping @Sendable () throws -> Void) throws -> (
        before: (policy: Int32, nice: Int32), after: (policy: Int32, nice: Int32)
    ) {
        let result = Mutex<((Int32, Int32), (Int32, Int32))?>(nil)
        let thread = Thread {
            let before = Self.scheduling()
            try? body()
            let after = Self.scheduling()
            result.withLock { $0 = (before, after) }
        }
        thread.start()
        let deadline = Date().addingTimeInterval(120)
        while result.withLock({ $0 == nil }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let (before, after) = try #require(result.withLock { $0 })
        return ((before.0, before.1), (after.0, after.1))
    }

    @Test(
        "a backup asked to give way runs as its job says: idle (SCHED_IDLE), low (10 nice levels lower) or normal; by default it changes nothing",
        arguments: [(CPUPriority.idle, true), (.low, true), (.normal, true), (.idle, false)])
    func appliesWhenAsked(priority: CPUPriority, asked: Bool) throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, rows: 300, rowBytes: 300)
        var prepared = h.job()
        prepared.cpuPriority = priority
        let job = prepared
        let logger = h.logger
        let (before, after) = try onOwnThread {
            _ = try BackupEngine(errorWording: .plain, lowersPriority: asked).backUp(job, logger: logger)
        }
        #expect(before.policy == SCHED_OTHER)
        switch (asked, priority) {
        case (true, .idle):
            #expect(after.policy == 5, "SCHED_IDLE")
            #expect(after.nice == before.nice)
        case (true, .low):
            #expect(after.policy == SCHED_OTHER)
            #expect(after.nice == min(19, before.nice + 10))
        default:
            #expect(after == before)
        }
        #expect(try h.store.backups(of: "app").count == 1)
    }
}
