import Foundation
import LiteSafeCore

/// A temporary host (a database folder and file, a backup folder) and a valid file that uses it.
public final class ConfigurationFixture {
    public static let recipient = "age1te7zhy77v4vuwg6kz8cvrma4l7rjknvwpg048da2gvklgq435slq66lp2d"
    public static let otherRecipient = "age19yna0xy7pa97q5qhkre5vhlq03p6wpu076kykx6nj5gvk7syrdeqn038zm"

    public let directory: TemporaryDirectory
    public var root: String { directory.path }
    public var databasePath: String { root + "/data/app.db" }
    public var destination: String { root + "/backups" }

    public init() throws {
        directory = try TemporaryDirectory("litesafe-config")
        try write("data/app.db", "")
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
    }

    /// The smallest valid file; `top` becomes line 1, else `defaults` becomes line 2.
    public func text(top: String? = nil, defaults: String? = nil) -> String {
        var lines: [String] = []
        if let top { lines.append(top) }
        lines.append("defaults:")
        if let defaults { lines.append(defaults) }
        lines += [
            "  destination: \(destination)",
            "  encryption:",
            "    recipients: [\(Self.recipient)]",
            "databases:",
            "  - name: app",
            "    path: \(databasePath)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    public func load(_ text: String) throws(ConfigurationError) -> LoadedConfiguration {
        try ConfigurationLoader.load(text: text, source: "test.yml")
    }

    /// Every problem reported for `text`, or nil when it loads.
    public func rejection(_ text: String) -> [ConfigurationProblem]? {
        do throws(ConfigurationError) {
            _ = try load(text)
            return nil
        } catch {
            return error.problems
        }
    }

    /// Every problem reported for the file at `path`, or nil when it loads.
    public func rejection(path: String) -> [ConfigurationProblem]? {
        do throws(ConfigurationError) {
            _ = try ConfigurationLoader.load(path: path)
            return nil
        } catch {
            return error.problems
        }
    }

    /// Writes `contents` to `name` below the fixture with `mode`, creating folders; returns the path.
    @discardableResult
    public func write(_ name: String, _ contents: String, mode: mode_t = 0o644) throws -> String {
        let path = root + "/" + name
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        guard chmod(path, mode) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return path
    }
}
