import Foundation
import TestTools
import Testing

/// A destination with backups made by the built binary, and a configuration that prunes it.
final class StoreWorld {
    let dir: TemporaryDirectory
    let key: String
    let recipient: String

    init(retention: String = "{ keep_last: 2 }") throws {
        dir = try TemporaryDirectory("litesafe-e2e-store")
        key = dir.path + "/key.txt"
        let made = try Subprocess.run(Subprocess.litesafe, ["keygen", "-o", key])
        guard made.status == 0 else { throw CocoaError(.fileWriteUnknown) }
        recipient =
            made.errorOutput.components(separatedBy: "age1").last.map {
                "age1" + $0.trimmingCharacters(in: .whitespacesAndNewlines)
            } ?? ""
        for folder in ["backups", "data", "state", "tmp"] {
            try FileManager.default.createDirectory(atPath: dir.path + "/" + folder, withIntermediateDirectories: true)
        }
        try Fixtures.makeDatabase(at: dir.path + "/data/app.db", rows: 200)
        try """
        time_zone: UTC
        state_directory: \(dir.path)/state
        databases:
          - name: app
            path: \(dir.path)/data/app.db
            destination: \(dir.path)/backups
            encryption:
              recipients: [\(recipient)]
            retention: \(retention)
        """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    var config: String { dir.path + "/litesafe.yml" }
    var backups: String { dir.path + "/backups" }
    var folder: String { backups + "/app" }

    func litesafe(_ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
        try Subprocess.run(Subprocess.litesafe, arguments, environment: environment)
    }

    /// Backs up without the configuration, so nothing is pruned yet.
    func backUp(times: Int) throws {
        for _ in 0..<times {
            let result = try litesafe([
                "backup", "--database", dir.path + "/data/app.db", "--to", backups, "--recipient", recipient,
            ])
            guard result.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: ["result": "\(result)"]) }
        }
    }

    /// The data files and manifests in the database's folder, sorted.
    func files() throws -> (data: [String], manifests: [String]) {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        return (names.filter { $0.contains(".sqlite") }, names.filter { $0.hasSuffix(".manifest.json") })
    }

    /// What `litesafe list --json` shows: file names, newest first.
    func listed() throws -> [String] {
        let result = try litesafe(["list", "--from", backups, "app", "--json"])
        guard result.status == 0,
            let objects = try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]]
        else { throw CocoaError(.fileReadCorruptFile, userInfo: ["result": "\(result)"]) }
        return objects.compactMap { $0["file"] as? String }
    }
}

@Suite("litesafe prune")
struct PruneCommandTests {
    @Test("a dry run shows every decision and deletes nothing; the real prune deletes what it showed")
    func dryRunThenPrune() throws {
        let w = try StoreWorld()
        try w.backUp(times: 5)
        let all = try w.listed()
        let dry = try w.litesafe(["prune", "--config", w.config, "--dry-run"])
        #expect(dry.status == 0, "\(dry)")
        let lines = dry.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "app: keep_last 2; time zone UTC")
        #expect(lines.filter { $0.hasPrefix("  keep    ") }.count == 2)
        #expect(lines.filter { $0.hasPrefix("  delete  ") }.count == 3)
        #expect(lines[1].contains(all[0]) && lines[1].hasSuffix("  last 1/2"))
        #expect(lines[2].contains(all[1]) && lines[2].hasSuffix("  last 2/2"))
        #expect(lines[3].contains(all[2]) && lines[3].hasSuffix("  no rule keeps it"))
        #expect(lines.last == "app: would keep 2, would delete 3 (dry run: nothing was deleted)")
        #expect(try w.files().manifests.count == 5)

        let real = try w.litesafe(["prune", "--config", w.config, "app"])
        #expect(real.status == 0, "\(real)")
        #expect(real.output.split(separator: "\n").dropLast().map(String.init) == lines.dropLast())
        #expect(real.output.hasSuffix("app: kept 2, deleted 3\n"))
        #expect(try w.listed() == Array(all.prefix(2)))
        #expect(try w.files().data == all.prefix(2).sorted())
    }

    @Test(
        "an unknown database name is the same error, exit 1, for every command that takes NAME",
        arguments: [["prune"], ["backup"], ["list"], ["verify"], ["restore", "-o", "/tmp/litesafe-never.db"]])
    func unknownName(command: [String]) throws {
        let w = try StoreWorld()
        let result = try w.litesafe([command[0], "--config", w.config, "nope"] + command.dropFirst())
        #expect(result.status == 1, "\(result)")
        #expect(result.errorOutput.contains("no database named 'nope'"), "\(result)")
        #expect(result.errorOutput.contains("configured: app"))
        #expect(!result.errorOutput.contains("USAGE"))
    }

    @Test("a backup with a configuration prunes after itself")
    func backupPrunes() throws {
        let w = try StoreWorld(retention: "{ keep_last: 1 }")
        try w.backUp(times: 2)
        let result = try w.litesafe(["backup", "--config", w.config])
        #expect(result.status == 0, "\(result)")
        #expect(try w.listed().count == 1)
        #expect(try w.files().data.count == 1)
    }

    @Test(
        "a prune killed at any instant leaves every backup whole or unlisted; the next prune finishes",
        arguments: ["prune-after-manifest", "prune-after-delete"])
    func killedMidPrune(crashPoint: String) throws {
        let w = try StoreWorld()
        try w.backUp(times: 4)
        let all = try w.listed()
        let killed = try w.litesafe(
            ["prune", "--config", w.config], environment: ["LITESAFE_TEST_CRASH_AT": crashPoint])
        #expect(killed.status == SIGKILL, "\(killed)")

        // The oldest goes first: its manifest is gone in both cases, its data only after the whole delete.
        let listed = try w.listed()
        #expect(listed == Array(all.prefix(3)))
        let files = try w.files()
        #expect(files.manifests.count == 3)
        #expect(files.data == (crashPoint == "prune-after-manifest" ? all : Array(all.prefix(3))).sorted())
        // Everything listed is whole on disk and checks out.
        for name in listed { #expect(files.data.contains(name)) }
        let verify = try w.litesafe(["verify", "--from", w.backups, "app"])
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.output.components(separatedBy: ": ok").count - 1 == 3)

        let again = try w.litesafe(["prune", "--config", w.config])
        #expect(again.status == 0, "\(again)")
        #expect(try w.listed() == Array(all.prefix(2)))
        #expect(try w.files().data == all.prefix(2).sorted())
        #expect(try w.files().manifests.count == 2)
    }

    @Test("a prune while another holds the lock fails with the reason and deletes nothing")
    func lockHeld() throws {
        let w = try StoreWorld()
        try w.backUp(times: 3)
        // Another process holds the flock a backup would, until it is terminated.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: try Subprocess.which("python3"))
        holder.arguments = [
            "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(60)",
            w.folder + "/.lock",
        ]
        try holder.run()
        defer {
            // SIGKILL: children of the test runner may inherit an ignored SIGTERM.
            kill(holder.processIdentifier, SIGKILL)
            holder.waitUntilExit()
        }
        let held = try eventually(timeout: 30) {
            try Subprocess.run("flock", ["-n", w.folder + "/.lock", "true"]).status != 0
        }
        try #require(held, "the holder never took the lock")
        let result = try w.litesafe(["prune", "--config", w.config])
        #expect(result.status == 1, "\(result)")
        #expect(result.errorOutput.contains("another backup or prune of 'app' is running"))
        #expect(try w.files().manifests.count == 3)
    }
}
