import Foundation
import TestTools
import Testing

/// After a failed restore or verify, the operator reads what happened once and what to run next.
@Suite("restore and verify: what to run next")
struct RestoreHintTests {
    /// Flips a byte in the middle of a stored backup.
    func damage(_ path: String) throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x04
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test("a damaged newest backup names the newest older good one and the --at command that restores it")
    func damagedNewest() throws {
        let w = try StoreWorld()
        try w.backUp(times: 3)
        let all = try w.listed()  // newest first
        try damage(w.folder + "/" + all[0])
        try damage(w.folder + "/" + all[1])
        let out = w.dir.path + "/restored db"
        let result = try w.litesafe(["restore", "--from", w.backups, "app", "--identity", w.key, "-o", out])
        #expect(result.status == 1, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(
            result.errorOutput.contains(
                "backup \(all[0]) of 'app' is damaged; the newest older backup that matches its manifest is \(all[2])"),
            "\(result)")
        let lines = result.errorOutput.split(separator: "\n").map(String.init)
        let command = try #require(lines.last { $0.hasPrefix("  litesafe restore ") }, "\(result)")
        let at =
            try #require(
                try JSONSerialization.jsonObject(
                    with: w.litesafe(["list", "--from", w.backups, "app", "--json"]).stdout) as? [[String: Any]]
            )[2]["created"] as? String
        #expect(
            command
                == "  litesafe restore --from \(w.backups) app --at \(try #require(at)) --identity \(w.key) -o '\(out)'"
        )
        // The command, run as printed (by a shell), restores that backup.
        let rerun = try Subprocess.run(
            "/bin/sh", ["-c", Subprocess.litesafe + command.dropFirst("  litesafe".count)])
        #expect(rerun.status == 0, "\(rerun)")
        #expect(rerun.output.contains(all[2]))
        #expect(try Fixtures.integrityCheck(out) == ["ok"])
    }

    @Test("a restore that fails for another reason gives no hint about older backups")
    func noHintForOtherFailures() throws {
        let w = try StoreWorld()
        try w.backUp(times: 2)
        let out = w.dir.path + "/exists.db"
        try Data("x".utf8).write(to: URL(fileURLWithPath: out))
        let result = try w.litesafe(["restore", "--from", w.backups, "app", "--identity", w.key, "-o", out])
        #expect(result.status == 1, "\(result)")
        #expect(result.errorOutput.contains("already exists"))
        #expect(!result.errorOutput.contains("older backup"), "\(result)")
    }

    @Test("an encrypted backup restored without --identity says to pass --identity")
    func noIdentity() throws {
        let w = try StoreWorld()
        try w.backUp(times: 1)
        let result = try w.litesafe(["restore", "--from", w.backups, "app", "-o", w.dir.path + "/out.db"])
        #expect(result.status == 1, "\(result)")
        #expect(result.errorOutput.contains("no --identity was given; pass --identity <key-file>"), "\(result)")
    }

    @Test("a missing identity file is a wrong path, not a file to create")
    func missingIdentityFile() throws {
        let w = try StoreWorld()
        try w.backUp(times: 1)
        let missing = w.dir.path + "/keys.txt"
        let result = try w.litesafe([
            "restore", "--from", w.backups, "app", "--identity", missing, "-o", w.dir.path + "/out.db",
        ])
        #expect(result.status == 1, "\(result)")
        #expect(result.errorOutput.contains("identity file \(missing) does not exist"), "\(result)")
        #expect(result.errorOutput.contains("--identity"))
        #expect(!result.errorOutput.contains("create it"), "\(result)")
    }

    @Test("verify prints each failure once", arguments: [false, true])
    func verifyFailureOnce(restoreTest: Bool) throws {
        let w = try StoreWorld()
        try w.backUp(times: 2)
        let all = try w.listed()
        try damage(w.folder + "/" + all[0])
        let result = try w.litesafe(
            ["verify", "--from", w.backups] + (restoreTest ? ["--identity", w.key] : []),
            environment: ["TMPDIR": w.dir.path + "/tmp"])
        #expect(result.status == 1, "\(result)")
        let mentions = (result.output + result.errorOutput).components(separatedBy: "does not match its manifest")
        #expect(mentions.count - 1 == 1, "\(result)")
    }
}
