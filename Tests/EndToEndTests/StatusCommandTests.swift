import Foundation
import TestTools
import Testing

/// `litesafe status` of the built binary, against the state a real `litesafe run` writes:
/// before any backup, after a success, after a failure, and once the daemon has stopped or died.
@Suite("litesafe status")
struct StatusCommandTests {
    /// A key, the databases `app` (good) and, optionally, `bad` (not SQLite: its backups fail).
    final class World {
        let dir: TemporaryDirectory
        var config: String { dir.path + "/litesafe.yml" }
        var metrics: String { dir.path + "/textfile/litesafe.prom" }

        init(withBadDatabase: Bool = false) throws {
            dir = try TemporaryDirectory("litesafe-status")
            let made = try Subprocess.run(Subprocess.litesafe, ["keygen", "-o", dir.path + "/key.txt"])
            let recipient = made.errorOutput.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines)
            for folder in ["backups", "data", "textfile"] {
                try FileManager.default.createDirectory(
                    atPath: dir.path + "/" + folder, withIntermediateDirectories: true)
            }
            try Fixtures.makeDatabase(at: dir.path + "/data/app.db", rows: 200)
            var text = """
                defaults:
                  schedule: every 1h
                  destination: \(dir.path)/backups
                  encryption:
                    recipients: ["\(recipient ?? "")"]
                state_directory: \(dir.path)/state
                metrics_textfile: \(metrics)
                verify_schedule: "@weekly"
                databases:
                  - name: app
                    path: \(dir.path)/data/app.db

                """
            if withBadDatabase {
                try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: dir.path + "/data/bad.db"))
                text += "  - name: bad\n    path: \(dir.path)/data/bad.db\n"
            }
            try Data(text.utf8).write(to: URL(fileURLWithPath: config))
            chmod(config, 0o600)
        }

        func status(_ extra: [String] = []) throws -> ProcessResult {
            try Subprocess.run(Subprocess.litesafe, ["status", "--config", config] + extra)
        }

        /// `status --json`, parsed.
        func json() throws -> [String: Any] {
            let result = try status(["--json"])
            return (try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]) ?? [:]
        }

        func health(_ name: String) throws -> String? {
            let databases = try json()["databases"] as? [[String: Any]] ?? []
            return databases.first { $0["name"] as? String == name }?["health"] as? String
        }
    }

    @Test("before the daemon ever ran: says there is no state yet, lists the databases, exits 3")
    func beforeAnyBackup() throws {
        let world = try World()
        let result = try world.status()
        #expect(result.status == 3, "\(result)")
        #expect(
            result.output.hasPrefix(
                "litesafe daemon: no state yet\nSTALE: no state file \(world.dir.path)/state/state.json"))
        #expect(result.output.contains("\napp       never "), "\(result)")
        #expect(result.output.hasSuffix("  unknown\n"), "\(result)")
    }

    @Test("after a success: ok and exit 0 while it runs; killed: NOT RUNNING, stale, exit 3")
    func afterSuccessThenKilled() throws {
        let world = try World()
        let daemon = try DaemonProcess(config: world.config, folder: world.dir.path)
        #expect(try eventually { try world.health("app") == "ok" }, "\(daemon.errorOutput)")
        let result = try world.status()
        #expect(result.status == 0, "\(result)\n\(daemon.errorOutput)")
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("litesafe daemon: running (pid \(daemon.process.processIdentifier), up since "))
        #expect(lines[2].hasPrefix("DATABASE  LAST BACKUP  SIZE "))
        #expect(
            lines[3].hasPrefix("app       just now  ") || lines[3].hasPrefix("app       2 s ago  "), "\(lines)")
        #expect(lines[3].contains(" in 59 min ") || lines[3].contains(" in 1 h "), "\(lines)")
        #expect(lines[3].hasSuffix("  ok"))
        #expect(result.output.contains("\nverification: scrub @weekly, not run yet, next in "), "\(result)")

        #expect(daemon.stop(SIGKILL) != nil)
        let dead = try world.status()
        #expect(dead.status == 3, "\(dead)")
        #expect(dead.output.hasPrefix("litesafe daemon: NOT RUNNING (pid \(daemon.process.processIdentifier) is gone)"))
        #expect(dead.output.contains("\nSTALE since "))
        #expect(dead.output.contains("did not stop cleanly"))
    }

    @Test("after a failure: FAILED with the reason, exit 2, the same in --json and the metrics; stopped: stale, exit 3")
    func afterFailureThenStopped() throws {
        let world = try World(withBadDatabase: true)
        let daemon = try DaemonProcess(config: world.config, folder: world.dir.path)
        #expect(
            try eventually { try world.health("bad") == "failing" && world.health("app") == "ok" },
            "\(daemon.errorOutput)")

        let result = try world.status()
        #expect(result.status == 2, "\(result)")
        let bad = result.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("bad ") }
        #expect(bad.count == 1)
        #expect(bad.first?.hasPrefix("bad       never ") == true, "\(result)")
        #expect(bad.first?.hasSuffix("  FAILED") == true, "\(result)")
        #expect(result.output.contains("\nbad: last backup FAILED "), "\(result)")
        #expect(result.output.contains("is not an SQLite database"), "\(result)")

        let json = try world.json()
        #expect(json["exit_code"] as? Int == 2)
        #expect(json["stale"] as? Bool == false)
        #expect((json["daemon"] as? [String: Any])?["status"] as? String == "running")
        let databases = try #require(json["databases"] as? [[String: Any]])
        #expect(databases.map { $0["name"] as? String } == ["app", "bad"])
        let failure = try #require(databases[1]["last_failure"] as? [String: Any])
        #expect((failure["reason"] as? String)?.contains("is not an SQLite database") == true)
        #expect(databases[1]["consecutive_failures"] as? Int == 1)
        #expect(databases[0]["retained"] as? Int == 1)
        #expect((databases[0]["last_success"] as? [String: Any])?["size_bytes"] as? Int ?? 0 > 0)

        let samples = try PrometheusText.parse(file: world.metrics)
        #expect(samples["litesafe_backup_failures_total", "bad"] == 1)
        #expect(samples["litesafe_backup_failing", "bad"] == 1)
        #expect(samples["litesafe_backups_retained", "app"] == 1)
        #expect(samples["litesafe_backup_last_success_timestamp_seconds", "app"] != nil)
        #expect(samples["litesafe_backup_last_success_timestamp_seconds", "bad"] == nil)

        #expect(daemon.stop(SIGTERM) == 0, "\(daemon.errorOutput)")
        let stopped = try world.status()
        #expect(stopped.status == 3, "\(stopped)")
        #expect(stopped.output.hasPrefix("litesafe daemon: stopped at "), "\(stopped)")
        #expect(stopped.output.contains("\nSTALE since "))
        #expect(stopped.output.contains("it stopped cleanly"))
        #expect(stopped.output.contains("\nbad: last backup FAILED "), "the failure is still shown")
        let stoppedJSON = try world.json()
        #expect(stoppedJSON["stale"] as? Bool == true)
        #expect((stoppedJSON["daemon"] as? [String: Any])?["status"] as? String == "stopped")
    }
}
