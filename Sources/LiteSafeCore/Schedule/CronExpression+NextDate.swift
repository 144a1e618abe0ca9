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
