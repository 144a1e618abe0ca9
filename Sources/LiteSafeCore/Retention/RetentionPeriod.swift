import Foundation

/// A calendar period a retention rule keeps one backup of: an hour, day, ISO week, month or year
/// in the configured time zone.
public enum RetentionPeriod: String, Sendable, CaseIterable {
    case hourly
    case daily
    case weekly
    case monthly
    case yearly

    /// The periods `date` falls in, by kind, each named as its reason prints it: Gregorian dates
    /// in `timeZone`, with ISO 8601 weeks (they start on Monday, and week 1 is the one holding the
    /// year's first Thursday).
    ///
    /// In the hour a clock falls back (DST ends), both passes of the hour carry one name, so they
    /// are one period: the name an operator reads is the rule.
    public static func labels(of date: Date, in timeZone: TimeZone) -> [RetentionPeriod: String] {
        let local = CivilDate.local(date, in: timeZone)
        let week = local.isoWeek
        return [
            .hourly: local.dateText + String(format: "T%02d", local.hour),
            .daily: local.dateText,
            .weekly: String(format: "%04d-W%02d", week.year, week.week),
            .monthly: String(format: "%04d-%02d", local.year, local.month),
            .yearly: String(format: "%04d", local.year),
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
