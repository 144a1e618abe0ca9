import Foundation
import LiteSafeCore
import LiteSafeDaemon
import TestSupport

/// A daemon over a temporary folder, with a manual clock, a recording notifier and captured logs.
///
/// `configuration(...)` writes a real `litesafe.yml` (loaded by the real loader, as `run` and a
/// reload do); databases are real SQLite files when the real engine is to back them up.
final class DaemonHarness {
    /// An age public key: backups are encrypted to it and never decrypted here.
    static let recipient = "age1te7zhy77v4vuwg6kz8cvrma4l7rjknvwpg048da2gvklgq435slq66lp2d"

    let directory: TemporaryDirectory
    let clock = ManualSchedulerClock(wall: date("2026-11-26T12:00:00Z"))
    let notifier = RecordingNotifier()
    let logs = LogRecorder()
    var configurationPath: String { directory.path + "/litesafe.yml" }
    var backups: String { directory.path + "/backups" }
    var staging: String { directory.path + "/state/staging" }
    /// The application's folder, where the databases live (backups must be outside it).
    var data: String { directory.path + "/data" }

    init() throws {
        directory = try TemporaryDirectory("litesafe-daemon")
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    }

    /// Writes the configuration file for `databases` (name → extra YAML lines) and loads it;
    /// `extra` adds top-level lines (`verify_schedule: …`).
    @discardableResult
    func writeConfiguration(
        _ databases: [(name: String, lines: [String])], schedule: String = "every 1h", maxConcurrent: Int = 1,
        extra: [String] = []
    ) throws -> Configuration {
        var text = """
            defaults:
              schedule: \(schedule)
              destination: \(backups)
              encryption:
                recipients: ["\(Self.recipient)"]
            max_concurrent_backups: \(maxConcurrent)
            state_directory: \(directory.path)/state

            """
        for line in extra { text += line + "\n" }
        text += "databases:\n"
        for database in databases {
            text += "  - name: \(database.name)\n"
            // `data/<name>.db` unless the lines give a path of their own.
            if !database.lines.contains(where: { $0.hasPrefix("path:") }) {
                text += "    path: \(data)/\(database.name).db\n"
            }
            for line in database.lines { text += "    \(line)\n" }
        }
        try write(text)
        return try ConfigurationLoader.load(path: configurationPath).configuration
    }

    @discardableResult
    func writeConfiguration(
        _ names: [String], schedule: String = "every 1h", maxConcurrent: Int = 1, extra: [String] = []
    ) throws -> Configuration {
        try writeConfiguration(names.map { ($0, []) }, schedule: schedule, maxConcurrent: maxConcurrent, extra: extra)
    }

    var state: String { directory.path + "/state" }

    /// The daemon's state file as it is on disk now, if there is one.
    func readState() throws -> DaemonState? {
        try StateFile(directory: state).read()
    }

    /// Replaces the configuration file with `text`, mode 0600 (the loader refuses group-writable files).
    func write(_ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: configurationPath))
        chmod(configurationPath, 0o600)
    }

    func makeDatabase(_ name: String, rows: Int = 100) throws {
        try Fixtures.makeDatabase(at: data + "/\(name).db", rows: rows)
    }

    /// A daemon over `configuration`; it writes its state at every change (`stateWriteInterval`
    /// zero) unless a test of the batching says otherwise, as the manual clock does not move
    /// on its own.
    func daemon(
        _ configuration: Configuration, runner: any BackupRunner, options: DaemonOptions = DaemonOptions(),
        systemClock: Bool = false, stateWriteInterval: Duration = .zero
    ) -> Daemon {
        var options = options
        options.stateWriteInterval = stateWriteInterval
        return Daemon(
            configuration: configuration, stores: StandardStoreFactory(), runner: runner, notifier: notifier,
            clock: systemClock ? SystemSchedulerClock() : clock, options: options, logger: logs.logger)
    }

    /// The names of the files in `database`'s backup folder, sorted.
    func files(of database: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: backups + "/" + database)) ?? []).sorted()
    }

    /// The manifests in `database`'s backup folder: one per published backup.
    func manifests(of database: String) -> [String] {
        files(of: database).filter { !$0.hasPrefix(".") && $0.hasSuffix(".manifest.json") }
    }
}

extension Daemon {
    /// Stops the daemon at the end of a test, and waits (briefly) until it has.
    func stopForCleanUp() {
        stop(reason: "end of test")
        _ = waitUntilStopped(timeout: .seconds(2))
    }
}
