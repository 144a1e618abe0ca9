import Foundation
import Testing

@testable import LiteSafeCore

@Suite("CivilDate: wall-clock dates and ISO weeks without Foundation's Calendar")
struct CivilDateTests {
    static let zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]

    @Test("local(_:in:) agrees with Foundation's Calendar in every zone, across DST changes", arguments: zones)
    func agreesWithCalendar(zoneName: String) throws {
        let zone = zoneName == "UTC" ? TimeZone.utc : try #require(TimeZone(identifier: zoneName))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var generator = SeededGenerator(seed: 29)
        // 1901–2100 at random, plus every hour around 2026's DST changes in Europe, the USA and
        // on Lord Howe Island (half an hour, southern hemisphere).
        var instants = (0..<2_000).map { _ in
            Double(Int64.random(in: -2_145_916_800...4_102_444_800, using: &generator))
        }
        instants += Array(stride(from: 1_774_000_000.0, to: 1_774_800_000, by: 3_600))
        instants += Array(stride(from: 1_792_000_000.0, to: 1_793_000_000, by: 3_600))
        for day in ["2026-03-08", "2026-11-01", "2026-04-05", "2026-10-04"] {
            let midnight = try #require(BackupName.parseISO8601(day)).timeIntervalSince1970
            instants += Array(stride(from: midnight - 86_400, to: midnight + 2 * 86_400, by: 1_800))
        }
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds + 0.75)
            let local = CivilDate.local(date, in: zone)
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let expected = [c.year, c.month, c.day, c.hour, c.minute, c.second].map { $0 ?? -1 }
            let actual = [local.year, local.month, local.day, local.hour, local.minute, local.second]
            #expect(actual == expected, "at \(date) in \(zoneName)")
        }
    }

    @Test("isoWeek agrees with Foundation's ISO 8601 calendar on every day of 1999–2031")
    func isoWeeks() {
        var iso = Calendar(identifier: .iso8601)
        iso.timeZone = .utc
        let first = CivilDate.daysSinceEpoch(year: 1999, month: 1, day: 1)
        let last = CivilDate.daysSinceEpoch(year: 2031, month: 12, day: 31)
        for day in first...last {
            let date = Date(timeIntervalSince1970: Double(day * 86_400 + 43_200))
            let week = CivilDate.local(date, in: .utc).isoWeek
            let c = iso.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
            #expect(week.year == c.yearForWeekOfYear && week.week == c.weekOfYear, "on \(date)")
        }
    }
}
