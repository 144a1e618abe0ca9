/// Why a schedule, cron expression or duration in the configuration could not be read.
///
/// Every case carries the text as written, and its `description` says what is wrong and what a
/// valid value looks like, so the configuration loader can print it after the setting's path.
public enum ScheduleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A duration such as `90s`, `15m` or `1h30m` is malformed, zero or too long.
    case invalidDuration(String, reason: String)
    /// One of the five fields of a cron expression is malformed or out of range.
    case invalidCronField(CronField, text: String, expression: String, reason: String)
    /// A cron expression is wrong as a whole: the number of fields or an unknown `@` macro.
    case invalidCronExpression(String, reason: String)
    /// A schedule is neither `every <duration>`, a 5-field cron expression nor an `@` macro.
    case invalidSchedule(String, reason: String)

    public var description: String {
        switch self {
        case .invalidDuration(let text, let reason):
            "invalid duration '\(text)': \(reason) (valid examples: 90s, 15m, 1h30m, 2d, 1w)"
        case .invalidCronField(let field, let text, let expression, let reason):
            "\(field) field '\(text)' in cron expression '\(expression)': \(reason)"
        case .invalidCronExpression(let expression, let reason):
            "invalid cron expression '\(expression)': \(reason)"
        case .invalidSchedule(let text, let reason):
            "invalid schedule '\(text)': \(reason)"
        }
    }
}
