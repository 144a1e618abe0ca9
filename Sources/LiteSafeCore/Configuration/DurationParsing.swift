/// The units a configuration duration may use, largest first, with their length in seconds.
private let durationUnits: [(unit: Character, seconds: Int64)] = [
    ("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1),
]

/// The longest duration the configuration accepts: 100 years, well inside `Duration`'s range.
public let maximumConfigurationDuration = Duration.seconds(100 * 365 * 86_400)

/// Parses a configuration duration such as `90s`, `15m`, `1h30m`, `2d` or `1w`.
///
/// A duration is one or more whole numbers, each followed by a unit (`s`, `m`, `h`, `d` or `w`),
/// units from largest to smallest and each at most once. It must be positive unless
/// `allowingZero` is set (for settings such as `jitter`, where `0` turns the feature off and may
/// be written without a unit).
public func parseDuration(_ text: String, allowingZero: Bool = false) throws(ScheduleError) -> Duration {
    func failure(_ reason: String) -> ScheduleError { .invalidDuration(text, reason: reason) }

    var remaining = Substring(text)
    while remaining.first?.isWhitespace == true { remaining.removeFirst() }
    while remaining.last?.isWhitespace == true { remaining.removeLast() }
    guard !remaining.isEmpty else { throw failure("it is empty") }
    if allowingZero, remaining.allSatisfy({ $0 == "0" }) { return .zero }

    var total: Int64 = 0
    var nextUnitIndex = 0
    while !remaining.isEmpty {
        let digits = remaining.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else {
            if remaining.first == "-" { throw failure("it must be positive") }
            if remaining.first?.isWhitespace == true { throw failure("remove the spaces, e.g. 1h30m") }
            throw failure("expected a number at '\(remaining)'")
        }
        remaining = remaining.dropFirst(digits.count)
        guard let unit = remaining.first else {
            throw failure("the number \(digits) has no unit; add one of s, m, h, d, w")
        }
        guard let index = durationUnits.firstIndex(where: { $0.unit == unit }) else {
            if unit == "." || unit == "," {
                throw failure("fractions are not supported; combine units instead, e.g. 1h30m")
            }
            if unit.isWhitespace { throw failure("remove the spaces, e.g. 1h30m") }
            throw failure("unknown unit '\(unit)'; use s, m, h, d or w")
        }
        guard index >= nextUnitIndex else {
            throw failure("units must go from largest to smallest, each once, e.g. 1h30m")
        }
        remaining = remaining.dropFirst()
        nextUnitIndex = index + 1
        guard let number = Int64(digits) else { throw failure("it is too long; the maximum is 100 years") }
        let (product, overflowed) = number.multipliedReportingOverflow(by: durationUnits[index].seconds)
        guard !overflowed, product <= maximumConfigurationDuration.components.seconds - total else {
            throw failure("it is too long; the maximum is 100 years")
        }
        total += product
    }
    guard total > 0 || allowingZero else { throw failure("it must be greater than zero") }
    return .seconds(total)
}

/// Writes a duration the way `parseDuration` reads it, largest units first (`1h30m`, `2d`, `0s`).
///
/// Fractions of a second are dropped: configuration durations are whole seconds.
public func formatDuration(_ duration: Duration) -> String {
    var seconds = duration.components.seconds
    guard seconds > 0 else { return seconds == 0 ? "0s" : "-" + formatDuration(.zero - duration) }
    var text = ""
    for (unit, length) in durationUnits where seconds >= length {
        text += "\(seconds / length)\(unit)"
        seconds %= length
    }
    return text
}
