import Foundation
import Yams

// Each reader of a single value reports what it expected and returns nil when the value is wrong,
// so callers only decide what a missing or wrong value means for the rest of the file.
extension ConfigurationReader {
    /// The text of a scalar; anything else (a list, a mapping, an empty value) is reported.
    func text(_ node: Node, at path: String, expected: String) -> String? {
        guard case .scalar(let scalar) = node, node.null == nil else {
            error("\(path): expected \(expected), got \(describe(node))", at: node)
            return nil
        }
        return scalar.string
    }

    /// A whole number of at least `minimum`.
    func wholeNumber(_ node: Node, at path: String, minimum: Int) -> Int? {
        let expected = "a whole number ≥ \(minimum)"
        guard let text = text(node, at: path, expected: expected) else { return nil }
        guard let number = Int(text), number >= minimum else {
            error("\(path): expected \(expected), got '\(text)'", at: node)
            return nil
        }
        return number
    }

    /// A duration such as `90s` or `1h30m`, worded and checked by the schedule parser; it must
    /// be positive unless `allowingZero`.
    func duration(_ node: Node, at path: String, allowingZero: Bool = false) -> Duration? {
        guard let text = text(node, at: path, expected: "a duration such as 90s, 15m or 1h30m") else { return nil }
        do {
            return try parseDuration(text, allowingZero: allowingZero)
        } catch {
            self.error("\(path): \(error)", at: node)
            return nil
        }
    }

    /// A schedule: `every <duration>`, a five-field cron expression, or `@hourly`, `@daily`, `@weekly`.
    func schedule(_ node: Node, at path: String) -> Schedule? {
        let expected = "a schedule such as 'every 1h', '0 3 * * *' or '@daily'"
        guard let text = text(node, at: path, expected: expected) else { return nil }
        do {
            return try Schedule(parsing: text)
        } catch {
            self.error("\(path): \(error)", at: node)
            return nil
        }
    }

    /// An absolute path, normalised (no `.`, `..`, or trailing slash).
    func absolutePath(_ node: Node, at path: String) -> String? {
        let expected = "an absolute path (starting with /)"
        guard let text = text(node, at: path, expected: expected) else { return nil }
        guard let normalized = ConfigurationPath.normalized(text) else {
            error("\(path): expected \(expected), got '\(text)'", at: node)
            return nil
        }
        return normalized
    }

    /// One of a fixed set of words, with a "did you mean" hint for a near miss.
    func choice<Value>(
        _ node: Node, at path: String, expected: String, candidates: [String], parse: (String) -> Value?
    ) -> Value? {
        guard let text = text(node, at: path, expected: expected) else { return nil }
        if let value = parse(text) { return value }
        var message = "\(path): expected \(expected), got '\(text)'"
        if let nearest = ConfigurationSuggestion.nearest(to: text, among: candidates) {
            message += " — did you mean '\(nearest)'?"
        }
        error(message, at: node)
        return nil
    }

    /// An IANA time zone such as `UTC` or `Europe/Berlin`.
    func timeZone(_ node: Node, at path: String) -> TimeZone? {
        guard let text = text(node, at: path, expected: "an IANA time zone name such as UTC or Europe/Berlin") else {
            return nil
        }
        if TimeZone.utcNames.contains(text) { return .utc }
        if let zone = TimeZone(identifier: text) { return zone }
        // Foundation knows UTC but does not list it.
        let known = ["UTC"] + TimeZone.knownTimeZoneIdentifiers
        if let nearest = ConfigurationSuggestion.nearest(to: text, among: known) {
            error("\(path): unknown time zone '\(text)' — did you mean '\(nearest)'?", at: node)
        } else {
            error(
                "\(path): unknown time zone '\(text)'; use an IANA name such as UTC or Europe/Berlin (`timedatectl list-timezones` lists them)",
                at: node)
        }
        return nil
    }
}
