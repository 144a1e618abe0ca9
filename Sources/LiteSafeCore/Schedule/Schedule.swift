/// When a database is backed up: at a fixed interval of elapsed time, or at cron wall-clock times.
///
/// `every 1h` counts elapsed time from the start of the previous backup and ignores changes to
/// the wall clock (daylight saving, clock steps); a cron schedule names wall-clock times in the
/// configured time zone. `description` round-trips: parsing it gives back an equal value.
public enum Schedule: Sendable, Hashable, CustomStringConvertible {
    /// Every `interval` of elapsed time.
    case every(Duration)
    /// At the times a cron expression names.
    case cron(CronExpression)

    /// The shortest interval `every` accepts.
    public static let minimumInterval = Duration.seconds(1)

    /// Parses `every <duration>` (`every 15m`), a 5-field cron expression (`0 3 * * *`) or a macro
    /// (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`).
    public init(parsing text: String) throws(ScheduleError) {
        let words = text.split(whereSeparator: \.isWhitespace)
        guard let first = words.first else {
            throw .invalidSchedule(text, reason: "it is empty; " + Self.expected)
        }
        if first.lowercased() == "every" {
            guard words.count == 2 else {
                let reason =
                    words.count == 1
                    ? "the interval is missing, e.g. every 1h" : "write the interval without spaces, e.g. every 1h30m"
                throw .invalidSchedule(text, reason: reason)
            }
            let interval = try parseDuration(String(words[1]))
            guard interval >= Self.minimumInterval else {
                throw .invalidSchedule(
                    text, reason: "the interval must be at least \(formatDuration(Self.minimumInterval))")
            }
            self = .every(interval)
        } else if first.hasPrefix("@") || words.count > 1 {
            // Any other multi-word text is taken for cron, whose error counts the fields.
            self = .cron(try CronExpression(parsing: text))
        } else if (try? parseDuration(String(first))) != nil {
            throw .invalidSchedule(text, reason: "to back up at an interval, write 'every \(first)'")
        } else if CronExpression.macros["@" + first.lowercased()] != nil {
            throw .invalidSchedule(text, reason: "did you mean '@\(first.lowercased())'?")
        } else {
            throw .invalidSchedule(text, reason: Self.expected)
        }
    }

    private static let expected =
        "expected 'every <duration>' (e.g. every 1h), a 5-field cron expression (e.g. 0 3 * * *) "
        + "or one of @hourly, @daily, @weekly, @monthly, @yearly"

    public var description: String {
        switch self {
        case .every(let interval): "every \(formatDuration(interval))"
        case .cron(let expression): expression.description
        }
    }
}
