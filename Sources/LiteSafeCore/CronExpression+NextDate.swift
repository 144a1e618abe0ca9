import Foundation

extension CronExpression {
    /// How far ahead `nextDate(after:in:)` looks before giving up.
    ///
    /// Parsing already rejects expressions that can never run; the rarest that can
    /// (`0 0 29 2 */7`, a 29 February that is a Sunday) still recur within 40 years.
    public static let searchYears = 50

    /// The first time after `date` at which the expression runs, reading its fields as wall-clock
    /// time in `timeZone`; nil only if it does not run in the next `searchYears` years.
    ///
    /// Each matching wall-clock minute runs once. Around daylight-saving changes that means:
    /// - A time that does not exist on the spring-forward day (02:30 in Europe/Berlin on the last
    ///   Sunday of March) runs at the first instant after the gap, 03:00 local; several such times
    ///   (`*/15 2 * * *`) run there only once. This is what cronie does for fixed-time jobs.
    /// - A time that occurs twice on the fall-back day (02:30 in Europe/Berlin on the last Sunday
    ///   of October) runs at its first occurrence only, so `0 * * * *` has a two-hour gap that night.
    ///   Use `every 1h`, which follows elapsed time, where that matters.
    ///
    /// The search skips whole months, days and hours that cannot match, so it costs at most a
    /// few thousand integer steps even when the next run is years away.
    public func nextDate(after date: Date, in timeZone: TimeZone) -> Date? {
        let seconds = date.timeIntervalSince1970
        // Keeps the arithmetic below far from overflow; the range covers years 1653–2286.
        guard seconds.isFinite, abs(seconds) < 1e10 else { return nil }
        // Runs fall on whole seconds, so "later than `date`" means "later than its whole second".
        let after = Int(seconds.rounded(.down))
        let offset = timeZone.secondsFromGMT(for: date)
        // Wall-clock minutes from here on can only run at or after `date`; earlier ones cannot run
        // after it because the mapping from wall-clock time to instants never goes backwards.
        let firstMinute = (after + offset).floorDivided(by: 60) + 1
        var day = firstMinute.floorDivided(by: 1440)
        var (year, month, dayOfMonth) = CivilDate.from(daysSinceEpoch: day)
        var fromMinuteOfDay = firstMinute - day * 1440
        let lastYear = year + Self.searchYears

        while year <= lastYear {
            if !matchesMonth(month) || dayOfMonth > CivilDate.daysIn(month: month, year: year) {
                (year, month) = month == 12 ? (year + 1, 1) : (year, month + 1)
                dayOfMonth = 1
                fromMinuteOfDay = 0
                day = CivilDate.daysSinceEpoch(year: year, month: month, day: 1)
                continue
            }
            if matchesDay(month: month, day: dayOfMonth, weekday: CivilDate.weekday(daysSinceEpoch: day)),
                let instant = firstRun(onDay: day, fromMinuteOfDay: fromMinuteOfDay, after: after, in: timeZone)
            {
                return Date(timeIntervalSince1970: TimeInterval(instant))
            }
            day += 1
            dayOfMonth += 1
            fromMinuteOfDay = 0
        }
        return nil
    }

    /// The earliest run on one wall-clock day, at or after a minute of that day, later than `after`.
    private func firstRun(onDay day: Int, fromMinuteOfDay: Int, after: Int, in timeZone: TimeZone) -> Int? {
        for hour in (fromMinuteOfDay / 60)..<24 where matchesHour(hour) {
            let firstMinute = hour == fromMinuteOfDay / 60 ? fromMinuteOfDay % 60 : 0
            for minute in firstMinute..<60 where matchesMinute(minute) {
                let wallClock = day * 86_400 + hour * 3_600 + minute * 60
                let instant = Self.instant(atWallClock: wallClock, in: timeZone)
                // Only on a fall-back day can this be earlier: `after` lies in the repeated hour,
                // whose wall-clock minutes already ran at their first occurrence.
                if instant > after { return instant }
            }
        }
        return nil
    }

    /// The instant (seconds since 1970) a wall-clock time in `timeZone` refers to, written as
    /// seconds since 1970 as if it were UTC: the first of two, or the end of a gap that skips it.
    static func instant(atWallClock wallClock: Int, in timeZone: TimeZone) -> Int {
        func offset(at instant: Int) -> Int {
            timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
        }
        // Offsets lie within ±14 h, so the instant is within a day of `wallClock`; the offsets a
        // day either side are the ones in force before and after any change near it.
        let before = offset(at: wallClock - 86_400)
        let after = offset(at: wallClock + 86_400)
        let candidates = [wallClock - before, wallClock - after].filter { $0 + offset(at: $0) == wallClock }
        if let first = candidates.min() { return first }

        // The wall-clock time falls in a gap: find the change, the first instant whose wall-clock
        // time is past it. Zone data holds whole seconds, so a binary search ends exactly there.
        var low = wallClock - max(before, after)
        var high = wallClock - min(before, after)
        guard low < high else { return high }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if middle + offset(at: middle) > wallClock { high = middle } else { low = middle }
        }
        return high
    }
}

/// Proleptic Gregorian calendar arithmetic on days since 1970-01-01, without Foundation's Calendar.
///
/// The algorithms are Howard Hinnant's `days_from_civil`/`civil_from_days`
/// (https://howardhinnant.github.io/date_algorithms.html); plain integers keep the cron search
/// fast and free of Calendar's own choices about skipped and repeated local times.
enum CivilDate {
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let year = month <= 2 ? year - 1 : year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func from(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
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
    static func weekday(daysSinceEpoch days: Int) -> Int {
        (days + 4).floorModulo(7)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }
}

extension Int {
    fileprivate func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    fileprivate func floorModulo(_ divisor: Int) -> Int {
        self - floorDivided(by: divisor) * divisor
    }
}
