import Foundation
import LiteSafeCore
import LiteSafePresentation
import TestSupport
import Testing

/// What `litesafe prune` prints for a plan.
@Suite struct RetentionReportTests {
    typealias F = RetentionFixture

    @Test("the README shows the worked example's plan as `prune --dry-run` prints it")
    func readmeExample() throws {
        let backups = [
            "2026-11-26T12:00:00Z", "2026-11-26T06:00:00Z", "2026-11-25T18:00:00Z", "2026-11-25T06:00:00Z",
            "2026-11-24T06:00:00Z", "2026-11-22T06:00:00Z", "2026-11-15T06:00:00Z", "2026-10-31T06:00:00Z",
            "2026-09-30T06:00:00Z",
        ].map { F.backup($0) }
        let policy = RetentionPolicy(keepLast: 2, keepDaily: 3, keepWeekly: 3, keepMonthly: 2)
        let plan = RetentionPlanner.plan(
            backups: backups.shuffled(), policy: policy, timeZone: F.utc, now: F.date("2026-11-26T12:30:00Z"))
        // The README shows this plan as `prune --dry-run` prints it; keep the two in step.
        let report = RetentionReport.text(
            database: "app", policy: policy, timeZone: F.utc, decisions: plan, dryRun: true)
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        #expect(try String(contentsOf: readme, encoding: .utf8).contains("$ litesafe prune --dry-run app\n" + report))
    }

    @Test("the prune report shows local times, actions and reasons")
    func report() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let backups = ["2026-11-26T12:00:03Z", "2026-11-26T06:00:03Z"].map { F.backup($0) }
        let policy = RetentionPolicy(keepLast: 1, keepDaily: 7)
        let plan = RetentionPlanner.plan(backups: backups, policy: policy, timeZone: berlin, now: Date())
        let text = RetentionReport.text(
            database: "app", policy: policy, timeZone: berlin, decisions: plan, dryRun: false)
        #expect(
            text == """
                app: keep_last 1, keep_daily 7; time zone Europe/Berlin
                  keep    2026-11-26 13:00:03 +01:00  app-20261126T120003.000000Z.sqlite.zst.age  last 1/1, daily 2026-11-26
                  delete  2026-11-26 07:00:03 +01:00  app-20261126T060003.000000Z.sqlite.zst.age  no rule keeps it
                app: kept 1, deleted 1

                """)
        let dry = RetentionReport.text(database: "app", policy: policy, timeZone: berlin, decisions: plan, dryRun: true)
        #expect(dry.hasSuffix("app: would keep 1, would delete 1 (dry run: nothing was deleted)\n"))
        #expect(
            RetentionReport.localTime(
                F.date("2026-07-01T00:00:00Z"), in: try #require(TimeZone(identifier: "America/St_Johns")))
                == "2026-06-30 21:30:00 -02:30")
    }
}
