import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

@Suite("Retention: worked examples")
struct RetentionPlannerTests {
    typealias F = RetentionFixture

    @Test("the README example: last, daily, weekly and monthly rules, each with its reason")
    func readmeExample() throws {
        let backups = [
            "2026-11-26T12:00:00Z", "2026-11-26T06:00:00Z", "2026-11-25T18:00:00Z", "2026-11-25T06:00:00Z",
            "2026-11-24T06:00:00Z", "2026-11-22T06:00:00Z", "2026-11-15T06:00:00Z", "2026-10-31T06:00:00Z",
            "2026-09-30T06:00:00Z",
        ].map { F.backup($0) }
        let policy = RetentionPolicy(keepLast: 2, keepDaily: 3, keepWeekly: 3, keepMonthly: 2)
        let plan = RetentionPlanner.plan(
            backups: backups.shuffled(), policy: policy, timeZone: F.utc, now: F.date("2026-11-26T12:30:00Z"))
        #expect(
            F.lines(plan) == [
                "2026-11-26T12:00 keep last 1/2, daily 2026-11-26, weekly 2026-W48, monthly 2026-11",
                "2026-11-26T06:00 keep last 2/2",
                "2026-11-25T18:00 keep daily 2026-11-25",
                "2026-11-25T06:00 delete no rule keeps it",
                "2026-11-24T06:00 keep daily 2026-11-24",
                "2026-11-22T06:00 keep weekly 2026-W47",
                "2026-11-15T06:00 keep weekly 2026-W46",
                "2026-10-31T06:00 keep monthly 2026-10",
                "2026-09-30T06:00 delete no rule keeps it",
            ])
    }

    @Test("periods without backups are skipped, not counted; yearly and hourly name their period")
    func emptyPeriodsAreSkipped() {
        let backups = ["2026-11-26T14:10:00Z", "2026-11-26T14:05:00Z", "2026-11-26T09:00:00Z", "2024-06-01T00:00:00Z"]
            .map { F.backup($0) }
        let plan = RetentionPlanner.plan(
            backups: backups, policy: RetentionPolicy(keepHourly: 2, keepYearly: 2), timeZone: F.utc,
            now: F.date("2026-11-26T15:00:00Z"))
        #expect(
            F.lines(plan) == [
                "2026-11-26T14:10 keep hourly 2026-11-26T14, yearly 2026",
                "2026-11-26T14:05 delete no rule keeps it",
                "2026-11-26T09:00 keep hourly 2026-11-26T09",
                "2024-06-01T00:00 keep yearly 2024",
            ])
    }

    @Test("after the clock is set back, backups dated after now are kept and take no slot")
    func clockSetBack() {
        // Made at 12:00–12:02, then the clock went back an hour: the 11:01 backup is the newest made.
        let backups = ["2026-11-26T12:02:00Z", "2026-11-26T12:01:00Z", "2026-11-26T12:00:00Z", "2026-11-26T11:01:00Z"]
            .map { F.backup($0) }
        let plan = RetentionPlanner.plan(
            backups: backups, policy: RetentionPolicy(keepLast: 1), timeZone: F.utc,
            now: F.date("2026-11-26T11:01:30Z"))
        let future = "keep dated after now (the clock was set back): kept until the clock passes it"
        #expect(
            F.lines(plan) == [
                "2026-11-26T12:02 " + future, "2026-11-26T12:01 " + future, "2026-11-26T12:00 " + future,
                "2026-11-26T11:01 keep last 1/1",
            ])
    }

    @Test("weeks start on Monday and follow ISO 8601 across the new year")
    func isoWeeks() {
        func week(_ text: String) -> String? { RetentionPeriod.labels(of: F.date(text), in: F.utc)[.weekly] }
        #expect(week("2026-11-22T23:59:59Z") == "2026-W47")  // Sunday
        #expect(week("2026-11-23T00:00:00Z") == "2026-W48")  // Monday
        #expect(week("2026-01-01T12:00:00Z") == "2026-W01")  // a Thursday: week 1 of its own year
        #expect(week("2024-12-30T12:00:00Z") == "2025-W01")  // a Monday in December, week 1 of the next year
        #expect(week("2027-01-01T12:00:00Z") == "2026-W53")  // a Friday in January, the last week of 2026
        let plan = RetentionPlanner.plan(
            backups: ["2026-11-23T00:00:01Z", "2026-11-22T23:59:59Z", "2026-11-16T00:00:00Z"].map { F.backup($0) },
            policy: RetentionPolicy(keepWeekly: 1), timeZone: F.utc, now: F.date("2026-11-24T00:00:00Z"))
        #expect(plan.map(\.isKept) == [true, false, false])
    }

    @Test("days are local days: three backups on one UTC day are two New York days")
    func localDays() throws {
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        let backups = ["2026-11-26T05:30:00Z", "2026-11-26T04:30:00Z", "2026-11-26T03:00:00Z"].map { F.backup($0) }
        let now = F.date("2026-11-26T06:00:00Z")
        let local = RetentionPlanner.plan(
            backups: backups, policy: RetentionPolicy(keepDaily: 2), timeZone: newYork, now: now)
        #expect(
            F.lines(local) == [
                "2026-11-26T05:30 keep daily 2026-11-26",
                "2026-11-26T04:30 keep daily 2026-11-25",
                "2026-11-26T03:00 delete no rule keeps it",
            ])
        let utc = RetentionPlanner.plan(
            backups: backups, policy: RetentionPolicy(keepDaily: 2), timeZone: F.utc, now: now)
        #expect(utc.map(\.isKept) == [true, false, false])
    }

    @Test("a 23-hour day (DST starts) is one day, and the repeated hour (DST ends) is one hour")
    func daylightSavingTime() throws {
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        // 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT.
        let spring = ["2026-03-09T04:00:00Z", "2026-03-09T03:59:00Z", "2026-03-08T05:00:00Z", "2026-03-08T04:59:00Z"]
            .map { F.backup($0) }
        let days = RetentionPlanner.plan(
            backups: spring, policy: RetentionPolicy(keepDaily: 3), timeZone: newYork,
            now: F.date("2026-03-09T05:00:00Z"))
        #expect(
            F.lines(days) == [
                "2026-03-09T04:00 keep daily 2026-03-09",  // 00:00 EDT
                "2026-03-09T03:59 keep daily 2026-03-08",  // 23:59 EDT
                "2026-03-08T05:00 delete no rule keeps it",  // 00:00 EST, the same 23-hour day
                "2026-03-08T04:59 keep daily 2026-03-07",  // 23:59 EST the day before
            ])
        // 2026-11-01: clocks fall back from 02:00 EDT to 01:00 EST; 01:xx happens twice.
        let autumn = ["2026-11-01T07:30:00Z", "2026-11-01T06:30:00Z", "2026-11-01T05:30:00Z"].map { F.backup($0) }
        let hours = RetentionPlanner.plan(
            backups: autumn, policy: RetentionPolicy(keepHourly: 3), timeZone: newYork,
            now: F.date("2026-11-01T08:00:00Z"))
        #expect(
            F.lines(hours) == [
                "2026-11-01T07:30 keep hourly 2026-11-01T02",  // 02:30 EST
                "2026-11-01T06:30 keep hourly 2026-11-01T01",  // 01:30 EST
                "2026-11-01T05:30 delete no rule keeps it",  // 01:30 EDT: the same named hour
            ])
    }

    @Test("keep_within keeps what is strictly newer than now minus the duration")
    func within() {
        let backups = ["2026-11-26T11:00:00Z", "2026-11-24T12:00:01Z", "2026-11-24T12:00:00Z"].map { F.backup($0) }
        let plan = RetentionPlanner.plan(
            backups: backups, policy: RetentionPolicy(keepWithin: .seconds(2 * 86_400)), timeZone: F.utc,
            now: F.date("2026-11-26T12:00:00Z"))
        #expect(
            F.lines(plan) == [
                "2026-11-26T11:00 keep within 2d",
                "2026-11-24T12:00 keep within 2d",
                "2026-11-24T12:00 delete no rule keeps it",
            ])
    }

    @Test("the newest good backup is kept even when no rule keeps it")
    func newestGoodIsAlwaysKept() {
        let backups = [
            F.backup("2026-11-20T12:00:00Z", check: "quick_check failed"), F.backup("2026-11-19T12:00:00Z"),
            F.backup("2026-11-18T12:00:00Z"),
        ]
        let plan = RetentionPlanner.plan(
            backups: backups, policy: RetentionPolicy(keepWithin: .seconds(86_400)), timeZone: F.utc,
            now: F.date("2026-11-26T12:00:00Z"))
        #expect(
            F.lines(plan) == [
                "2026-11-20T12:00 keep check failed: kept until older than the oldest kept good backup (2026-11-19T12:00:00Z)",
                "2026-11-19T12:00 keep newest good backup",
                "2026-11-18T12:00 delete no rule keeps it",
            ])
    }

    @Test("a failed backup fills no slot and is kept only while newer than the oldest kept good one")
    func failedChecks() {
        let backups = [
            F.backup("2026-11-26T05:00:00Z"), F.backup("2026-11-26T04:00:00Z", check: "quick_check failed"),
            F.backup("2026-11-26T03:00:00Z"), F.backup("2026-11-26T02:00:00Z", check: "none"),
            F.backup("2026-11-26T01:00:00Z"),
        ]
        let plan = RetentionPlanner.plan(
            backups: backups, policy: RetentionPolicy(keepLast: 2), timeZone: F.utc, now: F.date("2026-11-26T06:00:00Z")
        )
        #expect(
            F.lines(plan) == [
                "2026-11-26T05:00 keep last 1/2",
                "2026-11-26T04:00 keep check failed: kept until older than the oldest kept good backup (2026-11-26T03:00:00Z)",
                "2026-11-26T03:00 keep last 2/2",
                "2026-11-26T02:00 delete check failed: older than the oldest kept good backup (2026-11-26T03:00:00Z)",
                "2026-11-26T01:00 delete no rule keeps it",
            ])
    }

    @Test("when no backup passed its check, every backup is kept")
    func nothingGood() {
        let backups = ["2026-11-26T05:00:00Z", "2026-11-25T05:00:00Z"].map { F.backup($0, check: "none") }
        let plan = RetentionPlanner.plan(
            backups: backups, policy: RetentionPolicy(keepLast: 1), timeZone: F.utc, now: F.date("2026-11-26T06:00:00Z")
        )
        #expect(plan.allSatisfy { $0.isKept })
        #expect(plan.allSatisfy { $0.reasons == ["check failed: kept, no backup has passed its check"] })
        #expect(
            RetentionPlanner.plan(backups: [], policy: .default, timeZone: F.utc, now: Date()).isEmpty)
    }

    @Test("backups of one instant are ordered by name, as the store lists them")
    func sameInstant() {
        let created = F.date("2026-11-26T05:00:00Z")
        let first = F.backup(created)
        let second = StoredBackup(
            id: BackupID(database: "app", stem: first.id.stem + "_1"), manifest: first.manifest,
            dataLocation: first.dataLocation.replacingOccurrences(of: "Z.", with: "Z_1."),
            manifestLocation: first.manifestLocation.replacingOccurrences(of: "Z.", with: "Z_1."))
        let plan = RetentionPlanner.plan(
            backups: [first, second], policy: RetentionPolicy(keepLast: 1), timeZone: F.utc, now: created)
        #expect(plan.map(\.backup) == [second, first])
        #expect(plan.map(\.isKept) == [true, false])
    }
}
