import Foundation
import LiteSafeCore
import Testing

@Suite struct ScheduleTests {
    @Test func parsesIntervals() throws {
        #expect(try Schedule(parsing: "every 1h") == .every(.seconds(3_600)))
        #expect(try Schedule(parsing: "  Every   1h30m ") == .every(.seconds(5_400)))
        #expect(try Schedule(parsing: "every 1s") == .every(.seconds(1)))
    }

    @Test func parsesCronAndMacros() throws {
        #expect(try Schedule(parsing: "0 3 * * *") == .cron(try CronExpression(parsing: "0 3 * * *")))
        #expect(try Schedule(parsing: "@daily") == .cron(try CronExpression(parsing: "0 0 * * *")))
        #expect(try Schedule(parsing: "@HOURLY").description == "@hourly")
    }

    @Test(arguments: [
        "every 1h", "every 90s", "every 1w2d", "0 3 * * *", "*/15 * * * *", "0 0 1,15 jan-jun mon-fri",
        "@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually",
    ])
    func descriptionRoundTrips(text: String) throws {
        let schedule = try Schedule(parsing: text)
        #expect(try Schedule(parsing: schedule.description) == schedule)
        #expect(try Schedule(parsing: schedule.description).description == schedule.description)
    }

    @Test func descriptionNormalisesIntervals() throws {
        #expect(try Schedule(parsing: "every 90s").description == "every 1m30s")
        #expect(try Schedule(parsing: "0   3 * *  *").description == "0 3 * * *")
    }

    @Test(arguments: [
        ("", "invalid schedule '': it is empty; expected 'every <duration>'"),
        ("every", "the interval is missing, e.g. every 1h"),
        ("every 1h 30m", "write the interval without spaces"),
        ("every 0s", "invalid duration '0s': it must be greater than zero"),
        ("every 1x", "invalid duration '1x': unknown unit 'x'"),
        ("1h", "to back up at an interval, write 'every 1h'"),
        ("hourly", "did you mean '@hourly'?"),
        ("sometimes", "expected 'every <duration>' (e.g. every 1h), a 5-field cron expression"),
        ("0 3 * *", "invalid cron expression '0 3 * *': has 4 fields, expected 5"),
        ("0 0 3 * * *", "has 6 fields, expected 5"),
        ("@reboot", "@reboot is not supported"),
        ("0 25 * * *", "hour field '25' in cron expression '0 25 * * *': 25 is out of range, must be 0–23"),
    ])
    func rejectsInvalidSchedulesSayingWhy(text: String, message: String) {
        #expect {
            try Schedule(parsing: text)
        } throws: { error in
            String(describing: error).contains(message)
        }
    }
}

@Suite struct ScheduledJobTests {
    @Test func jitterOffsetIsStableAndWithinTheJitter() throws {
        let job = ScheduledJob(name: "app", schedule: .every(.seconds(3_600)), jitter: .seconds(300))
        #expect(job.jitterOffset >= .zero && job.jitterOffset < .seconds(300))
        // Pinned (FNV-1a of "app" is 0xe74fa719056a838c, 104 mod 300), so a change of hash,
        // which would move every deployment's backup times, is noticed.
        #expect(job.jitterOffset == .seconds(104))
        #expect(
            ScheduledJob(name: "app", schedule: .every(.seconds(60)), jitter: .seconds(300)).jitterOffset
                == job.jitterOffset)
    }

    @Test func namesSpreadAcrossTheJitter() {
        let offsets = Set(
            (0..<50).map {
                ScheduledJob(name: "db\($0)", schedule: .every(.seconds(60)), jitter: .seconds(300)).jitterOffset
            })
        #expect(offsets.count > 40)
        #expect(offsets.allSatisfy { $0 >= .zero && $0 < .seconds(300) })
    }

    @Test func noJitterMeansNoOffset() {
        #expect(ScheduledJob(name: "app", schedule: .every(.seconds(60))).jitterOffset == .zero)
        #expect(ScheduledJob(name: "app", schedule: .every(.seconds(60))).offset(within: .milliseconds(900)) == .zero)
    }
}
