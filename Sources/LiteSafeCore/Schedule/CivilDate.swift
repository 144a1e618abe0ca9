import Foundation

/// Proleptic Gregorian calendar arithmetic on days since 1970-01-01, without Foundation's Calendar.
///
/// The algorithms are Howard Hinnant's `days_from_civil`/`civil_from_days`
/// (https://howardhinnant.github.io/date_algorithms.html); plain integers keep the cron search
/// fast and free of Calendar's own choices about skipped and repeated local times.
///
/// They also keep the daemon off ICU: on Linux, `Calendar(identifier:)` loads the machine's
/// current time zone through ICU, whose code and data then stay resident (several MiB) even when
/// every zone LiteSafe uses is UTC.
public enum CivilDate {
    public static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let year = month <= 2 ? year - 1 : year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public static func from(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// 0 = Sunday … 6 = Saturday; 1970-01-01 was a Thursday.
    public static func weekday(daysSinceEpoch days: Int) -> Int {
        (days + 4).floorModulo(7)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// Wall-clock time of `date` in `timeZone`, to the whole second (rounded down).
    public struct LocalTime: Equatable, Sendable {
        public var year: Int
        public var month: Int
        public var day: Int
        public var hour: Int
        public var minute: Int
        public var second: Int
        /// Days since 1970-01-01 of the local date.
        public var daysSinceEpoch: Int

        /// `2026-11-26`.
        public var dateText: String { String(format: "%04d-%02d-%02d", year, month, day) }
        /// `12:00:03`.
        public var timeText: String { String(format: "%02d:%02d:%02d", hour, minute, second) }

        /// ISO 8601 week-numbering year and week (weeks start on Monday; week 1 holds the
        /// year's first Thursday).
        public var isoWeek: (year: Int, week: Int) {
            let mondayBased = (daysSinceEpoch + 3).floorModulo(7)  // 0 = Monday; 1970-01-01 was a Thursday
            let thursday = daysSinceEpoch - mondayBased + 3
            let year = CivilDate.from(daysSinceEpoch: thursday).year
            let dayOfYear = thursday - CivilDate.daysSinceEpoch(year: year, month: 1, day: 1)
            return (year, dayOfYear / 7 + 1)
        }
    }

    /// The wall-clock time of `date` in `timeZone`.
    public static func local(_ date: Date, in timeZone: TimeZone) -> LocalTime {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + timeZone.secondsFromGMT(for: date)
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = from(daysSinceEpoch: days)
        return LocalTime(
            year: year, month: month, day: day, hour: secondOfDay / 3_600, minute: secondOfDay % 3_600 / 60,
            second: secondOfDay % 60, daysSinceEpoch: days)
    }
}

extension Int {
    func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    func floorModulo(_ divisor: Int) -> Int {
        self - floorDivided(by: divisor) * divisor
    }
}
