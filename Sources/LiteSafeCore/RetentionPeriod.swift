import Foundation

/// A calendar period a retention rule keeps one backup of: an hour, day, ISO week, month or year
/// in the configured time zone.
public enum RetentionPeriod: String, Sendable, CaseIterable {
    case hourly
    case daily
    case weekly
    case monthly
    case yearly

    /// The calendar periods are read in: Gregorian, in `timeZone`, with ISO 8601 weeks (they
    /// start on Monday, and week 1 is the one holding the year's first Thursday).
    public static func calendar(in timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        calendar.firstWeekday = 2
        calendar.minimumDaysInFirstWeek = 4
        return calendar
    }

    /// The periods `date` falls in, by kind, each named as its reason prints it.
    ///
    /// In the hour a clock falls back (DST ends), both passes of the hour carry one name, so they
    /// are one period: the name an operator reads is the rule.
    public static func labels(of date: Date, in calendar: Calendar) -> [RetentionPeriod: String] {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .yearForWeekOfYear, .weekOfYear], from: date)
        let (year, month, day, hour) = (c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0)
        return [
            .hourly: String(format: "%04d-%02d-%02dT%02d", year, month, day, hour),
            .daily: String(format: "%04d-%02d-%02d", year, month, day),
            .weekly: String(format: "%04d-W%02d", c.yearForWeekOfYear ?? 0, c.weekOfYear ?? 0),
            .monthly: String(format: "%04d-%02d", year, month),
            .yearly: String(format: "%04d", year),
        ]
    }

    /// How many periods of this kind `policy` keeps.
    public func count(in policy: RetentionPolicy) -> Int {
        switch self {
        case .hourly: policy.keepHourly
        case .daily: policy.keepDaily
        case .weekly: policy.keepWeekly
        case .monthly: policy.keepMonthly
        case .yearly: policy.keepYearly
        }
    }
}
