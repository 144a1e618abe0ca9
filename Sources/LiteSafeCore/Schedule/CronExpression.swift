/// A 5-field cron expression (minute hour day-of-month month day-of-week), as crontab(5) defines it.
///
/// Each field is `*`, a number, a range `N-M` or a comma-separated list of those, each with an
/// optional step (`*/15`, `1-5/2`; `N/step` runs from N to the end of the field). Months and
/// weekdays also take three-letter names (`jan`…`dec`, `sun`…`sat`, any case), and day-of-week 7
/// is Sunday like 0. The macros `@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly` and
/// `@yearly` (`@annually`) stand for their usual expressions.
///
/// Days follow the Vixie cron rule: when both day-of-month and day-of-week are restricted, a day
/// matching *either* runs (`0 0 1 * mon` runs on the 1st and on every Monday). As in Vixie cron
/// and cronie, a field counts as unrestricted when it starts with `*`, so `*/2` in day-of-month
/// combined with `mon` means odd-numbered days that are Mondays.
///
/// Two expressions are equal when their fields select the same values, however they are written
/// (`@daily` equals `0 0 * * *`, `mon-fri` equals `1-5`); `description` keeps the text as
/// written, normalised to single spaces, so it parses back to an equal value.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// Bit `n` is set when value `n` of the field matches; day-of-week uses bits 0 (Sunday)…6.
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    let daysOfWeek: UInt64
    let dayOfMonthStartsWithStar: Bool
    let dayOfWeekStartsWithStar: Bool

    /// The expression as written, with single spaces between fields (or the macro, lower-cased).
    public let description: String

    /// The macros crontab(5) defines, except `@reboot`.
    public static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    ]

    /// Parses a 5-field expression or an `@` macro; errors name the field that is wrong.
    public init(parsing text: String) throws(ScheduleError) {
        let trimmed = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        if trimmed.hasPrefix("@") {
            let macro = trimmed.lowercased()
            guard let expansion = Self.macros[macro] else {
                let reason =
                    macro == "@reboot"
                    ? "@reboot is not supported; LiteSafe already backs up soon after start when a backup is missing or overdue"
                    : "unknown macro; use @hourly, @daily, @weekly, @monthly or @yearly"
                throw .invalidCronExpression(trimmed, reason: reason)
            }
            try self.init(fields: expansion, description: macro)
        } else {
            try self.init(fields: trimmed, description: trimmed)
        }
    }

    private init(fields text: String, description: String) throws(ScheduleError) {
        let fields = text.split(separator: " ")
        guard fields.count == 5 else {
            throw .invalidCronExpression(
                description,
                reason: "has \(fields.count) field\(fields.count == 1 ? "" : "s"), expected 5 "
                    + "(minute hour day-of-month month day-of-week), e.g. '0 3 * * *' for 03:00 every day")
        }
        minutes = try CronField.minute.parse(fields[0], in: description).bits
        hours = try CronField.hour.parse(fields[1], in: description).bits
        (daysOfMonth, dayOfMonthStartsWithStar) = try CronField.dayOfMonth.parse(fields[2], in: description)
        months = try CronField.month.parse(fields[3], in: description).bits
        (daysOfWeek, dayOfWeekStartsWithStar) = try CronField.dayOfWeek.parse(fields[4], in: description)
        self.description = description

        // Only day-of-month can make an expression impossible (`0 0 30 feb *`), and only when
        // day-of-week does not offer other days; cron would accept it and silently never run.
        if dayOfWeekStartsWithStar {
            let longest = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            let possible = (1...12).contains { month in
                months & (1 << UInt64(month)) != 0
                    && (1...longest[month]).contains { daysOfMonth & (1 << UInt64($0)) != 0 }
            }
            guard possible else {
                throw .invalidCronField(
                    .dayOfMonth, text: String(fields[2]), expression: description,
                    reason: "no month in the month field '\(fields[3])' has that day, so it would never run")
            }
        }
    }

    /// Whether the expression runs on a calendar day, given its weekday (0 = Sunday).
    func matchesDay(month: Int, day: Int, weekday: Int) -> Bool {
        guard months & (1 << UInt64(month)) != 0 else { return false }
        let dayOfMonthMatches = daysOfMonth & (1 << UInt64(day)) != 0
        let dayOfWeekMatches = daysOfWeek & (1 << UInt64(weekday)) != 0
        if dayOfMonthStartsWithStar || dayOfWeekStartsWithStar {
            return dayOfMonthMatches && dayOfWeekMatches
        }
        return dayOfMonthMatches || dayOfWeekMatches
    }

    func matchesMonth(_ month: Int) -> Bool { months & (1 << UInt64(month)) != 0 }
    func matchesHour(_ hour: Int) -> Bool { hours & (1 << UInt64(hour)) != 0 }
    func matchesMinute(_ minute: Int) -> Bool { minutes & (1 << UInt64(minute)) != 0 }

    public static func == (lhs: CronExpression, rhs: CronExpression) -> Bool {
        lhs.minutes == rhs.minutes && lhs.hours == rhs.hours && lhs.daysOfMonth == rhs.daysOfMonth
            && lhs.months == rhs.months && lhs.daysOfWeek == rhs.daysOfWeek
            && lhs.dayOfMonthStartsWithStar == rhs.dayOfMonthStartsWithStar
            && lhs.dayOfWeekStartsWithStar == rhs.dayOfWeekStartsWithStar
    }

    public func hash(into hasher: inout Hasher) {
        for bits in [minutes, hours, daysOfMonth, months, daysOfWeek] { hasher.combine(bits) }
        hasher.combine(dayOfMonthStartsWithStar)
        hasher.combine(dayOfWeekStartsWithStar)
    }
}
