import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore
@testable import LiteSafePresentation

/// What `check-config` prints for a valid file.
@Suite struct ConfigurationSummaryTests {
    @Test func summarisesEachDatabaseWithItsNextRun() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("data/other.db", "")
        let text =
            fixture.text(top: "time_zone: Europe/Berlin") + """
                  - name: other
                    path: \(fixture.root)/data/other.db
                    schedule: "0 3 * * *"
                    jitter: 5m
                    dump_schedule: every 1d
                    encryption: none
                    retention: { keep_daily: 7, keep_within: 1d12h }

                """
        let configuration = try fixture.load(text).configuration
        // 2025-06-01 10:00:00 UTC, 12:00 in Berlin (CEST, UTC+2).
        let now = Date(timeIntervalSince1970: 1_748_772_000)
        // The scheduler starts "other" a fixed share of its 5m jitter after each cron time.
        let offset = configuration.scheduledJobs[1].jitterOffset
        let offsetSeconds = Int(offset.components.seconds)
        #expect(offset > .zero && offset < .seconds(300))
        let next = String(format: "2025-06-02 03:%02d:%02d", offsetSeconds / 60, offsetSeconds % 60)
        #expect(
            configuration.summary(now: now) == """
                test.yml: valid, 2 databases
                  time zone               Europe/Berlin
                  max concurrent backups  1
                  backup CPU priority     idle
                  state directory         /var/lib/litesafe (staging in /var/lib/litesafe/staging, for rollback-journal databases and jobs with an S3 store; WAL databases to folders need no staging space)
                  metrics textfile        none
                  verify schedule         none
                  verify identity         none

                database app
                  path                    \(fixture.databasePath)
                  destination             \(fixture.destination)/app
                  schedule                every 1h: next 1h after the previous backup started, or soon after startup if overdue
                  dump schedule           none
                  encryption              1 recipient
                  retention               keep_last 3
                  snapshot                checkpoint passive, integrity check quick, compression zstd:3, busy timeout 5s

                database other
                  path                    \(fixture.root)/data/other.db
                  destination             \(fixture.destination)/other
                  schedule                0 3 * * * + \(formatDuration(offset)) jitter, next \(next) Europe/Berlin (in \(formatDuration(.seconds(15 * 3600) + offset)))
                  dump schedule           every 1d: next 1d after the previous dump started, or soon after startup if overdue, jitter up to 5m
                  encryption              NONE (plaintext)
                  retention               keep_daily 7, keep_within 1d12h
                  snapshot                checkpoint passive, integrity check quick, compression zstd:3, busy timeout 5s
                """)
    }

    @Test func showsTheNextVerifyRun() throws {
        let fixture = try ConfigurationFixture()
        let configuration = try fixture.load(fixture.text(top: "verify_schedule: \"@weekly\"")).configuration
        // Sunday 2025-06-01 10:00 UTC: @weekly is next due at midnight starting Sunday 8 June.
        let summary = configuration.summary(now: Date(timeIntervalSince1970: 1_748_772_000))
        #expect(summary.contains("\n  verify schedule         @weekly, next 2025-06-08 00:00:00 UTC (in 6d14h)\n"))
    }

    @Test func buildsOneScheduledJobPerDatabase() throws {
        let fixture = try ConfigurationFixture()
        let configuration = try fixture.load(fixture.text(top: "time_zone: Asia/Tokyo", defaults: "  jitter: 10m"))
            .configuration
        #expect(
            configuration.scheduledJobs == [
                ScheduledJob(
                    name: "app", schedule: .every(.seconds(3_600)), jitter: .seconds(600),
                    timeZone: try #require(TimeZone(identifier: "Asia/Tokyo")))
            ])
    }

    @Test(arguments: ["UTC", "GMT", "Etc/UTC"])
    func showsUTCAsWritten(name: String) throws {
        let fixture = try ConfigurationFixture()
        let configuration = try fixture.load(fixture.text(top: "time_zone: \(name)")).configuration
        #expect(configuration.summary(now: Date()).contains("  time zone               UTC\n"))
        // Foundation's fixed-offset zone, not ICU's "UTC" (which keeps ICU's data resident). The
        // two compare equal; only their descriptions tell them apart ("GMT (0)" and "GMT").
        let icu = try #require(TimeZone(identifier: "UTC"))
        #expect("\(configuration.timeZone)" == "\(TimeZone.utc)")
        #expect("\(configuration.timeZone)" != "\(icu)")
    }
}
