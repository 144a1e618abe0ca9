import Foundation

extension TimeZone {
    /// The names a configuration may give UTC; all of them read back as `utc`.
    static let utcNames: Set<String> = ["UTC", "GMT", "Etc/UTC"]

    /// UTC as Foundation's fixed-offset zone. On Linux, `TimeZone(identifier: "UTC")` goes through
    /// ICU, whose time-zone data then stays resident in the daemon (a few MiB); this one does not.
    public static let utc = TimeZone(secondsFromGMT: 0)!

    /// The zone's name the way a configuration writes it: Foundation on Linux reads `UTC` back
    /// as "GMT" (or "Etc/UTC"), which every summary and report shows as `UTC`.
    public var configurationName: String { Self.utcNames.contains(identifier) ? "UTC" : identifier }
}
