import Foundation
import LiteSafeDaemon
import Testing

@Suite struct StatusLineTests {
    let now = date("2026-11-26T12:05:00Z")
    let utc = TimeZone(identifier: "UTC")!

    @Test func summarisesTheDaemon() {
        let line = StatusLine(
            databases: 3,
            last: .init(name: "app", succeeded: true, date: date("2026-11-26T12:00:03Z"), storedSize: 4_100_000),
            next: .init(name: "app", date: date("2026-11-26T12:15:00Z")))
        #expect(
            line.text(now: now, timeZone: utc)
                == "3 databases · last: app ok 12:00:03 (4.1 MB) · next: app 12:15:00 · 0 failing")
    }

    @Test func beforeAnyBackup() {
        let line = StatusLine(databases: 1, next: .init(name: "app", date: now))
        #expect(line.text(now: now, timeZone: utc) == "1 database · last: none · next: app 12:05:00 · 0 failing")
    }

    @Test func runningFailingAndARefusedReload() {
        let line = StatusLine(
            databases: 2, running: ["app", "crm"], last: .init(name: "crm", succeeded: false, date: now), next: nil,
            failing: 1, reloadFailed: true)
        #expect(
            line.text(now: now, timeZone: utc)
                == "2 databases · backing up: app, crm · last: crm failed 12:05:00 · next: none · 1 failing · reload failed: see journal"
        )
    }

    @Test func verifyingAndAFailedVerification() {
        let line = StatusLine(databases: 2, failing: 0, verifying: true, verifyFailing: ["app", "crm"])
        #expect(
            line.text(now: now, timeZone: utc)
                == "2 databases · verifying · last: none · next: none · 0 failing · verify FAILED: app, crm")
    }

    @Test func timesOnAnotherDayCarryTheDateInTheConfiguredZone() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let line = StatusLine(databases: 1, next: .init(name: "app", date: date("2026-11-26T23:30:00Z")))
        #expect(line.text(now: now, timeZone: berlin).contains("next: app 2026-11-27 00:30:00"))
        #expect(line.text(now: now, timeZone: utc).contains("next: app 23:30:00"))
    }

    @Test func stopping() {
        #expect(
            StatusLine(databases: 2, running: ["app"], stopping: true).text(now: now, timeZone: utc)
                == "stopping · cancelling: app")
        #expect(StatusLine(databases: 2, stopping: true).text(now: now, timeZone: utc) == "stopping")
    }
}
