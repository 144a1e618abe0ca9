import Foundation
import TestTools
import Testing

/// `litesafe run`, the daemon, as the built binary: started with a configuration and a
/// notification socket of the test's own, then reloaded and stopped with real signals.
@Suite("litesafe run")
struct RunCommandTests {
    /// A temporary folder with a key, a database and a configuration backing it up every 2 s.
    final class World {
        let dir: TemporaryDirectory
        let recipient: String
        var config: String { dir.path + "/litesafe.yml" }
        var backups: String { dir.path + "/backups" }
        var staging: String { dir.path + "/state/staging" }

        init() throws {
            dir = try TemporaryDirectory("litesafe-run")
            let made = try Subprocess.run(Subprocess.litesafe, ["keygen", "-o", dir.path + "/key.txt"])
            guard made.status == 0, let key = made.errorOutput.split(separator: " ").last else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(made)"])
            }
            recipient = key.trimmingCharacters(in: .whitespacesAndNewlines)
            for folder in ["backups", "data"] {
                try FileManager.default.createDirectory(
                    atPath: dir.path + "/" + folder, withIntermediateDirectories: true)
            }
            try Fixtures.makeDatabase(at: dir.path + "/data/app.db", rows: 200)
            try writeConfiguration()
        }

        func writeConfiguration(extra: String = "") throws {
            let text = """
                defaults:
                  schedule: every 2s
                  destination: \(backups)
                  encryption:
                    recipients: ["\(recipient)"]
                \(extra)
                state_directory: \(dir.path)/state
                databases:
                  - name: app
                    path: \(dir.path)/data/app.db

                """
            try Data(text.utf8).write(to: URL(fileURLWithPath: config))
            chmod(config, 0o600)
        }

        func files(in folder: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        }

        var manifests: [String] {
            files(in: backups + "/app").filter { !$0.hasPrefix(".") && $0.hasSuffix(".manifest.json") }
        }
    }

    @Test("backs up on schedule, survives a broken reload, and stops cleanly on SIGTERM, telling systemd each step")
    func backsUpReloadsAndStops() throws {
        let world = try World()
        let socket = try NotifySocket()
        let daemon = try DaemonProcess(
            config: world.config, folder: world.dir.path, environment: ["NOTIFY_SOCKET": socket.path])
        var seen: [String] = []

        let ready = socket.receive(seen: &seen) { $0.hasPrefix("READY=1") }
        #expect(ready?.hasPrefix("READY=1\nSTATUS=1 database · ") == true, "\(seen)\n\(daemon.errorOutput)")
        #expect(eventually { world.manifests.count >= 2 }, "\(daemon.errorOutput)")
        #expect(socket.receive(seen: &seen) { $0.hasPrefix("STATUS=") && $0.contains("last: app ok") } != nil)

        // A broken file: refused, and the daemon keeps running the old one.
        try world.writeConfiguration(extra: "  shedule: every 1h")
        daemon.send(SIGHUP)
        let reloaded = socket.receive(seen: &seen) { $0.hasPrefix("READY=1") }
        #expect(reloaded?.hasSuffix(" · reload failed: see journal") == true, "\(seen)")
        #expect(seen.contains { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") })
        #expect(eventually { daemon.errorOutput.contains("reload of \(world.config) refused") })
        #expect(daemon.errorOutput.contains("shedule"))
        #expect(daemon.process.isRunning)
        let before = world.manifests.count
        #expect(eventually { world.manifests.count > before }, "no backup after the refused reload")

        daemon.send(SIGTERM)
        #expect(daemon.waitForExit(timeout: 10) == 0, "\(daemon.errorOutput)")
        #expect(daemon.process.terminationReason == .exit)
        #expect(socket.receive(seen: &seen) { $0 == "STOPPING=1" } != nil, "\(seen)")
        #expect(daemon.errorOutput.contains("stopping (SIGTERM)"))

        let left = world.files(in: world.backups + "/app")
        #expect(!left.contains { $0.hasPrefix(".litesafe-tmp-") }, "\(left)")
        let data = left.filter { $0.hasSuffix(".sqlite.zst.age") }
        #expect(data.count == world.manifests.count, "every data file has its manifest: \(left)")
        #expect(world.files(in: world.staging).isEmpty)
    }

    @Test("SIGINT (Ctrl-C in a terminal) stops it with status 0")
    func interruptStops() throws {
        let world = try World()
        let socket = try NotifySocket()
        let daemon = try DaemonProcess(
            config: world.config, folder: world.dir.path, environment: ["NOTIFY_SOCKET": socket.path])
        var seen: [String] = []
        #expect(socket.receive(seen: &seen) { $0.hasPrefix("READY=1") } != nil, "\(daemon.errorOutput)")
        daemon.send(SIGINT)
        #expect(daemon.waitForExit(timeout: 10) == 0, "\(daemon.errorOutput)")
        #expect(daemon.errorOutput.contains("stopping (SIGINT)"))
    }

    @Test("a configuration that does not load at start: exit 1, every problem printed")
    func badConfigurationAtStart() throws {
        let world = try World()
        try world.writeConfiguration(extra: "  shedule: every 1h\n  compression: zstd:42")
        let result = try Subprocess.run(Subprocess.litesafe, ["run", "--config", world.config])
        #expect(result.status == 1, "\(result)")
        #expect(result.errorOutput.contains("shedule"), "\(result)")
        #expect(result.errorOutput.contains("zstd:42"), "\(result)")
        #expect(result.errorOutput.contains("2 errors; not starting"), "\(result)")
    }

    @Test("`run` is listed in --help, which is how scripts/demo knows to use it")
    func helpListsRun() throws {
        let result = try Subprocess.run(Subprocess.litesafe, ["--help"])
        #expect(result.output.split(separator: "\n").contains { $0.hasPrefix("  run ") }, "\(result)")
    }

    #if DEBUG
        @Test("a hung backup (the debug build's test hook) stops the watchdog pings")
        func hungBackupStopsTheWatchdog() throws {
            let world = try World()
            let socket = try NotifySocket()
            let daemon = try DaemonProcess(
                config: world.config, folder: world.dir.path,
                environment: [
                    "NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000",
                    "LITESAFE_TEST_HANG_BACKUP": "app", "LITESAFE_TEST_BACKUP_DEADLINE": "1s",
                ])
            var seen: [String] = []
            #expect(socket.receive(seen: &seen) { $0 == "WATCHDOG=1" } != nil, "\(daemon.errorOutput)")
            #expect(eventually { daemon.errorOutput.contains("has run longer than its 1s deadline") })
            // Past the deadline: no more pings (after those already queued), though the daemon is alive.
            while socket.receive(timeout: 0) != nil {}
            var after: [String] = []
            #expect(socket.receive(timeout: 1, seen: &after) { $0 == "WATCHDOG=1" } == nil, "\(after)")
            #expect(daemon.process.isRunning)
        }
    #endif
}
