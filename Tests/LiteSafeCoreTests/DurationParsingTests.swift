import LiteSafeCore
import Testing

@Suite struct DurationParsingTests {
    @Test(
        arguments: [
            ("90s", 90), ("15m", 900), ("1h", 3_600), ("1h30m", 5_400), ("2d", 172_800), ("1w", 604_800),
            ("1w2d3h4m5s", 788_645), (" 5m ", 300), ("0h1s", 1),
        ] as [(String, Int64)])
    func parsesValidDurations(text: String, seconds: Int64) throws {
        #expect(try parseDuration(text) == .seconds(seconds))
    }

    @Test(arguments: [
        ("", "it is empty"),
        ("abc", "expected a number at 'abc'"),
        ("1x", "unknown unit 'x'; use s, m, h, d or w"),
        ("1.5h", "fractions are not supported"),
        ("1h 30m", "remove the spaces"),
        ("1 h", "remove the spaces"),
        ("30m1h", "units must go from largest to smallest"),
        ("1h1h", "units must go from largest to smallest"),
        ("-5m", "it must be positive"),
        ("5", "has no unit"),
        ("0s", "it must be greater than zero"),
        ("0m0s", "it must be greater than zero"),
        ("99999999999999999999s", "it is too long"),
        ("5300w", "it is too long; the maximum is 100 years"),
    ])
    func rejectsInvalidDurationsSayingWhyWithExamples(text: String, reason: String) {
        #expect {
            try parseDuration(text)
        } throws: { error in
            let message = String(describing: error)
            return message.hasPrefix("invalid duration '\(text)': ") && message.contains(reason)
                && message.contains("valid examples: 90s, 15m, 1h30m")
        }
    }

    @Test func zeroIsAllowedOnlyWhenAsked() throws {
        #expect(try parseDuration("0", allowingZero: true) == .zero)
        #expect(try parseDuration("0s", allowingZero: true) == .zero)
        #expect(throws: ScheduleError.self) { try parseDuration("0") }
    }

    @Test func errorIsTheInvalidDurationCase() {
        #expect(throws: ScheduleError.invalidDuration("1y", reason: "unknown unit 'y'; use s, m, h, d or w")) {
            try parseDuration("1y")
        }
    }

    @Test(
        arguments: [
            (90, "1m30s"), (3_600, "1h"), (5_400, "1h30m"), (86_400, "1d"), (604_800, "1w"),
            (788_645, "1w2d3h4m5s"), (0, "0s"),
        ] as [(Int64, String)])
    func formatsLargestUnitsFirst(seconds: Int64, text: String) throws {
        #expect(formatDuration(.seconds(seconds)) == text)
        if seconds > 0 { #expect(try parseDuration(text) == .seconds(seconds)) }
    }
}
