import Foundation
import TestTools
import Testing

/// The operator's command line, run as the built binary.
@Suite("litesafe backup, list, restore")
struct BackupCommandTests {
    final class World {
        let dir: TemporaryDirectory
        let key: String
        let recipient: String
        init() throws {
            dir = try TemporaryDirectory("litesafe-e2e")
            key = dir.path + "/key.txt"
            let made = try Subprocess.run(Subprocess.litesafe, ["keygen", "-o", key])
            guard made.status == 0 else { throw CocoaError(.fileWriteUnknown) }
            recipient =
                made.errorOutput.components(separatedBy: "age1").last.map {
                    "age1" + $0.trimmingCharacters(in: .whitespacesAndNewlines)
                } ?? ""
            try FileManager.default.createDirectory(atPath: dir.path + "/backups", withIntermediateDirectories: true)
            try Fixtures.makeDatabase(at: dir.path + "/app.db", rows: 200)
        }
        func litesafe(_ arguments: String...) throws -> ProcessResult {
            try Subprocess.run(Subprocess.litesafe, arguments)
        }
        func backUp() throws -> ProcessResult {
            try litesafe(
                "backup", "--database", dir.path + "/app.db", "--to", dir.path + "/backups", "--recipient", recipient)
        }
    }

    @Test("backup, list and restore round trip through the binary")
    func roundTrip() throws {
        let w = try World()
        let backup = try w.backUp()
        #expect(backup.status == 0, "\(backup)")
        #expect(backup.output.contains("app: \(w.dir.path)/backups/app/app-"))
        let list = try w.litesafe("list", "--from", w.dir.path + "/backups")
        #expect(list.status == 0)
        #expect(list.output.contains("quick_check ok"))
        let json = try w.litesafe("list", "--from", w.dir.path + "/backups", "app", "--json")
        let parsed = try JSONSerialization.jsonObject(with: json.stdout) as? [[String: Any]]
        #expect(parsed?.count == 1)
        let out = w.dir.path + "/restored.db"
        let restore = try w.litesafe(
            "restore", "--from", w.dir.path + "/backups", "app", "--identity", w.key, "-o", out)
        #expect(restore.status == 0, "\(restore)")
        #expect(try Fixtures.integrityCheck(out) == ["ok"])
        // The source was in WAL mode, and so is the restored file (its header says so).
        #expect(parsed?.first?["wal_mode"] as? Bool == true)
        #expect(try Fixtures.journalMode(out) == "wal")
    }

    @Test("--recipients-file encrypts to its keys, and is refused while others can write to it")
    func recipientsFile() throws {
        let w = try World()
        let file = w.dir.path + "/recipients.txt"
        try "# the offline key\n\(w.recipient)\n".write(toFile: file, atomically: false, encoding: .utf8)
        let backUp = {
            try w.litesafe(
                "backup", "--database", w.dir.path + "/app.db", "--to", w.dir.path + "/backups", "--recipients-file",
                file)
        }
        chmod(file, 0o666)
        let refused = try backUp()
        #expect(refused.status != 0)
        #expect(refused.errorOutput.contains("writable by group or others (mode 0666)"), "\(refused)")
        #expect(refused.errorOutput.contains("chmod go-w \(file)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path + "/backups").isEmpty)
        chmod(file, 0o644)
        let made = try backUp()
        #expect(made.status == 0, "\(made)")
        let restore = try w.litesafe(
            "restore", "--from", w.dir.path + "/backups", "app", "--identity", w.key, "-o", w.dir.path + "/out.db")
        #expect(restore.status == 0, "\(restore)")
    }

    @Test("--at picks the newest backup at or before the time, and says when there is none")
    func restoreAt() throws {
        let w = try World()
        #expect(try w.backUp().status == 0)
        let early = try w.litesafe(
            "restore", "--from", w.dir.path + "/backups", "app", "--at", "2001-01-01T00:00:00Z", "--identity", w.key,
            "-o", w.dir.path + "/x.db")
        #expect(early.status == 1)
        #expect(early.errorOutput.contains("no backup of 'app' at or before 2001-01-01T00:00:00"))
        let late = try w.litesafe(
            "restore", "--from", w.dir.path + "/backups", "app", "--at", "2100-01-01", "--identity", w.key, "-o",
            w.dir.path + "/x.db")
        #expect(late.status == 0, "\(late)")
    }

    @Test("an existing output is refused without --force, with the fix in the message")
    func refusesExistingOutput() throws {
        let w = try World()
        #expect(try w.backUp().status == 0)
        let out = w.dir.path + "/app.db"
        let before = try Fixtures.sha256(out)
        let result = try w.litesafe("restore", "--from", w.dir.path + "/backups", "app", "--identity", w.key, "-o", out)
        #expect(result.status == 1)
        #expect(result.errorOutput.contains("already exists"))
        #expect(result.errorOutput.contains("--force"))
        #expect(try Fixtures.sha256(out) == before)
    }

    @Test("a missing source exits 1, names the path, speaks of --database and creates nothing, not even a lock")
    func missingSource() throws {
        let w = try World()
        let missing = w.dir.path + "/typo.db"
        let result = try w.litesafe(
            "backup", "--database", missing, "--to", w.dir.path + "/backups", "--recipient", w.recipient)
        #expect(result.status == 1)
        #expect(result.errorOutput.contains("\(missing) does not exist"))
        #expect(!FileManager.default.fileExists(atPath: missing))
        // Not a word about a configuration: there is none.
        #expect(!result.errorOutput.contains("configuration"), "\(result)")
        // No lock folder for 'typo' and no empty .staging: the destination is as it was.
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path + "/backups") == [])
    }

    @Test("no recipient is a usage error: LiteSafe never falls back to plaintext")
    func noRecipient() throws {
        let w = try World()
        let result = try w.litesafe("backup", "--database", w.dir.path + "/app.db", "--to", w.dir.path + "/backups")
        #expect(result.status != 0)
        #expect(result.errorOutput.contains("--recipient"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path + "/backups").isEmpty)
    }

    @Test("a bad recipient is refused with its reason")
    func badRecipient() throws {
        let w = try World()
        let result = try w.litesafe(
            "backup", "--database", w.dir.path + "/app.db", "--to", w.dir.path + "/backups", "--recipient",
            "age1notakey")
        #expect(result.status != 0)
        #expect(result.errorOutput.contains("age1notakey"))
    }

    @Test("a source the service user cannot read is named, with the permission fix")
    func unreadableSource() throws {
        // Root reads everything, so run the binary as nobody against a root-only database.
        guard getuid() == 0 else { throw CocoaError(.featureUnsupported) }
        let w = try World()
        let folder = w.dir.path + "/private"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Fixtures.makeDatabase(at: folder + "/app.db")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: w.dir.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder + "/app.db")
        // A destination of nobody's own: LiteSafe writes only in folders its user owns.
        let nobodyDestination = try TemporaryDirectory("litesafe-nobody")
        try FileManager.default.setAttributes([.ownerAccountName: "nobody"], ofItemAtPath: nobodyDestination.path)
        let result = try Subprocess.run(
            "runuser",
            [
                "-u", "nobody", "--", Subprocess.litesafe, "backup", "--database", folder + "/app.db", "--to",
                nobodyDestination.path, "--recipient", w.recipient,
            ])
        #expect(result.status == 1, "\(result)")
        #expect(result.errorOutput.contains("cannot open database \(folder)/app.db"))
        #expect(result.errorOutput.contains("give the litesafe user read-write access"))
    }
}
