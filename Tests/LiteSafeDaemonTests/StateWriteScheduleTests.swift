import Testing

@testable import LiteSafeDaemon

@Suite("StateWriteSchedule: when the state file is written")
struct StateWriteScheduleTests {
    let start = MonotonicInstant(sinceOrigin: .seconds(1_000))

    @Test("the first decision writes; then nothing until a change or the heartbeat")
    func firstWriteAndHeartbeat() {
        var schedule = StateWriteSchedule(interval: .seconds(1), heartbeat: .seconds(300))
        #expect(!schedule.hasWritten)
        #expect(schedule.decide(now: start) == .write)
        schedule.written(at: start)
        #expect(schedule.hasWritten)
        #expect(schedule.decide(now: start + .seconds(299)) == .idle)
        #expect(schedule.decide(now: start + .seconds(300)) == .write)
    }

    @Test("backups' results within the interval wait for it, on the injected clock")
    func batchedWithinTheInterval() {
        var schedule = StateWriteSchedule(interval: .seconds(1), heartbeat: .seconds(300))
        schedule.written(at: start)
        schedule.markChanged()
        #expect(schedule.decide(now: start) == .wait(.seconds(1)))
        #expect(schedule.decide(now: start + .milliseconds(400)) == .wait(.milliseconds(600)))
        schedule.markChanged()
        #expect(schedule.decide(now: start + .seconds(1)) == .write)
        schedule.written(at: start + .seconds(1))
        #expect(schedule.decide(now: start + .seconds(5)) == .idle)
        // A change after a quiet spell is written at once.
        schedule.markChanged()
        #expect(schedule.decide(now: start + .seconds(5)) == .write)
    }

    @Test("an urgent change (reload, verification, clock step) is written at once")
    func urgentChange() {
        var schedule = StateWriteSchedule(interval: .seconds(1), heartbeat: .seconds(300))
        schedule.written(at: start)
        schedule.markChanged()
        schedule.markChanged(urgent: true)
        #expect(schedule.decide(now: start) == .write)
        schedule.written(at: start)
        // Writing clears the urgency: the next change is batched again.
        schedule.markChanged()
        #expect(schedule.decide(now: start + .milliseconds(10)) == .wait(.milliseconds(990)))
    }
}
