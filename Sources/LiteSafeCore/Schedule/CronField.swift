/// One of the five fields of a cron expression, in the order crontab(5) writes them.
public enum CronField: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case minute, hour, dayOfMonth, month, dayOfWeek

    /// The field's name as error messages show it.
    public var description: String {
        switch self {
        case .minute: "minute"
        case .hour: "hour"
        case .dayOfMonth: "day-of-month"
        case .month: "month"
        case .dayOfWeek: "day-of-week"
        }
    }

    /// The numbers the field accepts; day-of-week accepts both 0 and 7 for Sunday.
    public var range: ClosedRange<Int> {
        switch self {
        case .minute: 0...59
        case .hour: 0...23
        case .dayOfMonth: 1...31
        case .month: 1...12
        case .dayOfWeek: 0...7
        }
    }

    /// The highest value `*` and `N/step` reach; 7 would only repeat Sunday.
    private var wildcardUpperBound: Int { self == .dayOfWeek ? 6 : range.upperBound }

    /// Three-letter names, case-insensitive, mapped to their numbers (crontab(5) accepts no others).
    private var names: [String: Int] {
        switch self {
        case .month:
            [
                "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
                "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
            ]
        case .dayOfWeek:
            ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]
        default: [:]
        }
    }

    /// What a valid value looks like, for error messages.
    private var allowedValues: String {
        switch self {
        case .month: "1–12 or jan–dec"
        case .dayOfWeek: "0–7 or sun–sat (0 and 7 are Sunday)"
        default: "\(range.lowerBound)–\(range.upperBound)"
        }
    }

    /// Parses one field: a comma-separated list of `*`, `N`, `N-M` or `name`, each with an optional `/step`.
    ///
    /// Returns the matching values as bits (bit `n` set when value `n` matches; Sunday is always bit 0)
    /// and whether the field starts with `*`, which is how cron decides if the field restricts days.
    func parse(_ text: Substring, in expression: String) throws(ScheduleError) -> (bits: UInt64, startsWithStar: Bool) {
        func failure(_ reason: String) -> ScheduleError {
            .invalidCronField(self, text: String(text), expression: expression, reason: reason)
        }
        func value(_ token: Substring) throws(ScheduleError) -> Int {
            if !token.isEmpty, token.allSatisfy({ $0.isASCII && $0.isNumber }) {
                guard let number = Int(token), range.contains(number) else {
                    throw failure("\(token) is out of range, must be \(allowedValues)")
                }
                return number
            }
            if let number = names[token.lowercased()] { return number }
            if token.isEmpty { throw failure("a value is missing, must be \(allowedValues)") }
            throw failure("'\(token)' is not a valid value, must be \(allowedValues)")
        }

        var bits: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw failure("empty list item; separate values with single commas, e.g. 1,15") }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw failure("'\(item)' has more than one '/'") }
            var step = 1
            if parts.count == 2 {
                guard let number = Int(parts[1]), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else {
                    throw failure("step '\(parts[1])' in '\(item)' is not a whole number")
                }
                guard number >= 1 else { throw failure("step in '\(item)' must be at least 1") }
                step = number
            }
            let base = parts[0]
            let low: Int
            let high: Int
            if base == "*" {
                (low, high) = (range.lowerBound, wildcardUpperBound)
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(base[..<dash])
                high = try value(base[base.index(after: dash)...])
                guard low <= high else {
                    throw failure(
                        "range '\(base)' runs backwards; ranges cannot wrap around, write two, e.g. 22-23,0-2")
                }
            } else {
                low = try value(base)
                // `N/step` means from N to the end of the range, as in most cron implementations.
                high = parts.count == 2 ? max(low, wildcardUpperBound) : low
            }
            for number in stride(from: low, through: high, by: step) {
                bits |= 1 << UInt64(self == .dayOfWeek && number == 7 ? 0 : number)
            }
        }
        return (bits, text.first == "*")
    }
}
