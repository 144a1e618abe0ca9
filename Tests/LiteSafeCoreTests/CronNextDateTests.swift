import Foundation
import LiteSafeCore
import Testing

/// An instant written as ISO 8601 with its offset, e.g. `2025-03-30T03:00:00+02:00`.
private func date(_ text: String) throws -> Date {
    try #require(ISO8601DateFormatter().date(from: text), "bad test date \(text)")
}

private func zone(_ identifier: String) throws -> TimeZone {
    try #require(TimeZone(identifier: identifier))
}

/// The runs of `expression` after `start`, `count` of them.
private func runs(_ expression: String, after start: String, count: Int, in timeZone: TimeZone = .gmt) throws
    -> [Date]
{
    let cron = try CronExpression(parsing: expression)
    var dates: [Date] = []
    var last = try date(start)
    for _ in 0..<count {
        last = try #require(cron.nextDate(after: last, in: timeZone))
        dates.append(last)
    }
    return dates
}

@Suite struct CronNextDateTests {
    @Test func stepsWithinAnHour() throws {
        #expect(
            try runs("*/15 * * * *", after: "2025-01-01T12:07:00Z", count: 3)
                == [date("2025-01-01T12:15:00Z"), date("2025-01-01T12:30:00Z"), date("2025-01-01T12:45:00Z")])
    }

    @Test func aRunAtExactlyTheStartIsNotNext() throws {
        let cron = try CronExpression(parsing: "*/15 * * * *")
        #expect(cron.nextDate(after: try date("2025-01-01T12:15:00Z"), in: .gmt) == (try date("2025-01-01T12:30:00Z")))
        let justBefore = try date("2025-01-01T12:15:00Z").addingTimeInterval(-0.001)
        #expect(cron.nextDate(after: justBefore, in: .gmt) == (try date("2025-01-01T12:15:00Z")))
        let justAfter = try date("2025-01-01T12:15:00Z").addingTimeInterval(0.5)
        #expect(cron.nextDate(after: justAfter, in: .gmt) == (try date("2025-01-01T12:30:00Z")))
    }

    @Test func crossesTheYearEnd() throws {
        #expect(try runs("0 3 * * *", after: "2025-12-31T03:00:00Z", count: 1) == [date("2026-01-01T03:00:00Z")])
        #expect(
            try runs("@yearly", after: "2025-06-01T00:00:00Z", count: 2)
                == [date("2026-01-01T00:00:00Z"), date("2027-01-01T00:00:00Z")])
    }

    @Test func theThirtyFirstSkipsShortMonths() throws {
        #expect(
            try runs("0 0 31 * *", after: "2025-01-31T00:00:00Z", count: 4)
                == [
                    date("2025-03-31T00:00:00Z"), date("2025-05-31T00:00:00Z"), date("2025-07-31T00:00:00Z"),
                    date("2025-08-31T00:00:00Z"),
                ])
    }

    @Test func monthlyRunsOnTheFirst() throws {
        #expect(
            try runs("@monthly", after: "2025-01-15T00:00:00Z", count: 2)
                == [date("2025-02-01T00:00:00Z"), date("2025-03-01T00:00:00Z")])
    }

    @Test func february29thRunsOnlyInLeapYears() throws {
        #expect(
            try runs("0 0 29 2 *", after: "2025-01-01T00:00:00Z", count: 3)
                == [date("2028-02-29T00:00:00Z"), date("2032-02-29T00:00:00Z"), date("2036-02-29T00:00:00Z")])
        // 2100 is not a leap year: the longest wait, eight years.
        #expect(try runs("0 0 29 2 *", after: "2096-03-01T00:00:00Z", count: 1) == [date("2104-02-29T00:00:00Z")])
    }

    @Test func rarestPossibleDayIsFoundWithinTheSearch() throws {
        // A 29 February that is also a Sunday (`*/7` is unrestricted, so both must hold).
        let found = try runs("0 0 29 2 */7", after: "2088-03-01T00:00:00Z", count: 1)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = calendar.dateComponents([.month, .day, .weekday], from: found[0])
        #expect(parts.month == 2 && parts.day == 29 && parts.weekday == 1)
        #expect(found[0] > (try date("2100-01-01T00:00:00Z")))
    }

    @Test func weekdaysOnly() throws {
        // 2025-01-03 is a Friday.
        #expect(
            try runs("0 0 * * 1-5", after: "2025-01-03T00:00:00Z", count: 3)
                == [date("2025-01-06T00:00:00Z"), date("2025-01-07T00:00:00Z"), date("2025-01-08T00:00:00Z")])
        #expect(try runs("0 0 * * mon-fri", after: "2025-01-03T00:00:00Z", count: 1) == [date("2025-01-06T00:00:00Z")])
    }

    @Test func restrictedDayOfMonthAndDayOfWeekRunOnEither() throws {
        // Fridays and the 13th: Fri 3, Fri 10, Mon 13, Fri 17.
        #expect(
            try runs("0 0 13 * fri", after: "2025-01-01T00:00:00Z", count: 4)
                == [
                    date("2025-01-03T00:00:00Z"), date("2025-01-10T00:00:00Z"), date("2025-01-13T00:00:00Z"),
                    date("2025-01-17T00:00:00Z"),
                ])
    }

    @Test func aDayFieldStartingWithStarMakesBothApply() throws {
        // Odd days that are Mondays (Vixie cron and cronie): 13 Jan, 27 Jan, 3 Feb.
        #expect(
            try runs("0 0 */2 * mon", after: "2025-01-01T00:00:00Z", count: 3)
                == [date("2025-01-13T00:00:00Z"), date("2025-01-27T00:00:00Z"), date("2025-02-03T00:00:00Z")])
    }

    @Test func namesAndSundayAsSeven() throws {
        // 2025-01-05 is a Sunday.
        #expect(try runs("30 9 * jan sun", after: "2025-01-01T00:00:00Z", count: 1) == [date("2025-01-05T09:30:00Z")])
        #expect(try runs("30 9 * * 7", after: "2025-01-01T00:00:00Z", count: 1) == [date("2025-01-05T09:30:00Z")])
    }

    @Test func wallClockTimesInAZoneAwayFromDaylightSaving() throws {
        #expect(
            try runs("0 3 * * *", after: "2025-06-01T00:00:00Z", count: 1, in: zone("Europe/Berlin"))
                == [date("2025-06-01T03:00:00+02:00")])
        #expect(
            try runs("0 3 * * *", after: "2025-06-01T00:00:00Z", count: 1, in: zone("Asia/Kolkata"))
                == [date("2025-06-02T03:00:00+05:30")])
    }

    // MARK: Daylight saving: Europe/Berlin goes 02:00 → 03:00 on 2025-03-30 and 03:00 → 02:00 on 2025-10-26.

    @Test func berlinSpringForwardRunsASkippedTimeRightAfterTheGap() throws {
        #expect(
            try runs("30 2 * * *", after: "2025-03-29T12:00:00+01:00", count: 3, in: zone("Europe/Berlin"))
                == [
                    date("2025-03-30T03:00:00+02:00"), date("2025-03-31T02:30:00+02:00"),
                    date("2025-04-01T02:30:00+02:00"),
                ])
    }

    @Test func berlinSpringForwardRunsSeveralSkippedTimesOnce() throws {
        #expect(
            try runs("*/15 2 * * *", after: "2025-03-30T01:50:00+01:00", count: 2, in: zone("Europe/Berlin"))
                == [date("2025-03-30T03:00:00+02:00"), date("2025-03-31T02:00:00+02:00")])
        #expect(
            try runs("* * * * *", after: "2025-03-30T01:59:00+01:00", count: 2, in: zone("Europe/Berlin"))
                == [date("2025-03-30T03:00:00+02:00"), date("2025-03-30T03:01:00+02:00")])
    }

    @Test func berlinFallBackRunsARepeatedTimeOnceAtItsFirstOccurrence() throws {
        #expect(
            try runs("30 2 * * *", after: "2025-10-25T12:00:00+02:00", count: 2, in: zone("Europe/Berlin"))
                == [date("2025-10-26T02:30:00+02:00"), date("2025-10-27T02:30:00+01:00")])
        // Hourly: 02:00 runs in summer time only, then 03:00 in winter time.
        #expect(
            try runs("0 * * * *", after: "2025-10-26T01:30:00+02:00", count: 3, in: zone("Europe/Berlin"))
                == [
                    date("2025-10-26T02:00:00+02:00"), date("2025-10-26T03:00:00+01:00"),
                    date("2025-10-26T04:00:00+01:00"),
                ])
    }

    @Test func berlinFallBackFromInsideTheRepeatedHour() throws {
        // 02:20 winter time: 02:30 and 02:45 already ran in summer time.
        #expect(
            try runs("*/15 * * * *", after: "2025-10-26T02:20:00+01:00", count: 1, in: zone("Europe/Berlin"))
                == [date("2025-10-26T03:00:00+01:00")])
    }

    // MARK: America/New_York goes 02:00 → 03:00 on 2025-03-09 and 02:00 → 01:00 on 2025-11-02.

    @Test func newYorkSpringForward() throws {
        #expect(
            try runs("30 2 * * *", after: "2025-03-08T12:00:00-05:00", count: 3, in: zone("America/New_York"))
                == [
                    date("2025-03-09T03:00:00-04:00"), date("2025-03-10T02:30:00-04:00"),
                    date("2025-03-11T02:30:00-04:00"),
                ])
    }

    @Test func newYorkFallBack() throws {
        #expect(
            try runs("30 1 * * *", after: "2025-11-01T12:00:00-04:00", count: 3, in: zone("America/New_York"))
                == [
                    date("2025-11-02T01:30:00-04:00"), date("2025-11-03T01:30:00-05:00"),
                    date("2025-11-04T01:30:00-05:00"),
                ])
    }

    @Test(arguments: ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"])
    func aYearOfRunsIsIncreasingAndOnMatchingWallClockTimes(identifier: String) throws {
        let timeZone = try zone(identifier)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let dates = try runs("17 */3 * * *", after: "2025-01-01T00:00:00Z", count: 2_920, in: timeZone)
        #expect(zip(dates, dates.dropFirst()).allSatisfy { $0 < $1 })
        var unmatched = 0
        for date in dates {
            let parts = calendar.dateComponents([.hour, .minute], from: date)
            if parts.minute != 17 || parts.hour! % 3 != 0 { unmatched += 1 }
        }
        // Only runs moved out of a spring-forward gap may show another wall-clock time.
        #expect(unmatched <= 2)
        #expect(dates.last! > (try date("2025-12-01T00:00:00Z")))
    }
}
