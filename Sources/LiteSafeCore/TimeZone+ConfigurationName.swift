import Foundation

extension TimeZone {
    /// The zone's name the way a configuration writes it: Foundation on Linux reads `UTC` back
    /// as "GMT" (or "Etc/UTC"), which every summary and report shows as `UTC`.
    public var configurationName: String { ["UTC", "GMT", "Etc/UTC"].contains(identifier) ? "UTC" : identifier }
}
