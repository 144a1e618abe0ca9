import Foundation
import TestTools
import Testing

/// `litesafe dump`, run as the built binary.
@Suite("litesafe dump")
struct DumpCommandTests {
    final class World {
        let dir: TemporaryDirectory
        var database: String { dir.path + "/app.db" }
        init() throws {
            dir = try TemporaryDirectory("litesafe-e2e")
            try Fixtures.makeDatabase(at: database, rows: 50)
        }
        func litesafe(_ arguments: [String]) throws -> ProcessResult {
            try Subprocess.run(Subprocess.litesafe, arguments)
        }
    }

    @Test("-o writes the dump atomically, private, and says what it wrote; stdout gets the same bytes")
    func toFile() throws {
        let w = try World()
        let out = w.dir.path + "/app.sql"
        let dumped = try w.litesafe(["dump", "--database", w.database, "-o", out])
        #expect(dumped.status == 0, "\(dumped)")
        #expect(dumped.errorOutput.contains("dumped \(w.database): 1 table, 50 rows"))
        #expect(try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int == 0o600)
        let printed = try w.litesafe(["dump", "--database", w.database])
        #expect(printed.status == 0)
        #expect(printed.stdout == (try Data(contentsOf: URL(fileURLWithPath: out))))
        let loaded = try Subprocess.run("sqlite3", ["-bail", w.dir.path + "/loaded.db"], input: printed.stdout)
        #expect(loaded.status == 0, "\(loaded)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path).filter { $0.hasPrefix(".") } == [])
    }

    @Test("an existing output is kept unless --force")
    func existingOutput() throws {
        let w = try World()
        let out = w.dir.path + "/app.sql"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: out))
        let refused = try w.litesafe(["dump", "--database", w.database, "-o", out])
        #expect(refused.status == 1)
        #expect(refused.errorOutput.contains("\(out) exists; choose another name, or add --force"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "keep me")
        let forced = try w.litesafe(["dump", "--database", w.database, "-o", out, "--force"])
        #expect(forced.status == 0, "\(forced)")
        #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("-- SQLite logical dump by LiteSafe"))
    }

    @Test("a mistyped database path is an error that creates nothing")
    func missingDatabase() throws {
        let w = try World()
        let typo = w.dir.path + "/ap.db"
        let result = try w.litesafe(["dump", "--database", typo, "-o", w.dir.path + "/out.sql"])
        #expect(result.status == 1)
        #expect(result.errorOutput.contains("there is no database at \(typo)"))
        #expect(!FileManager.default.fileExists(atPath: typo))
        #expect(!FileManager.default.fileExists(atPath: w.dir.path + "/out.sql"))
    }

    @Test("a configured database by name; neither a name nor --database is a usage error")
    func configuredAndUsage() throws {
        let w = try World()
        let config = w.dir.path + "/litesafe.yml"
        let backups = try TemporaryDirectory("litesafe-e2e-backups")
        try Data(
            """
            defaults:
              destination: \(backups.path)
              encryption: none
            state_directory: \(backups.path)/state
            databases:
              - name: app
                path: \(w.database)

            """.utf8
        ).write(to: URL(fileURLWithPath: config))
        chmod(config, 0o600)
        let named = try w.litesafe(["dump", "--config", config, "app"])
        #expect(named.status == 0, "\(named)")
        #expect(named.errorOutput.contains("dumped 'app': 1 table, 50 rows"))
        let usage = try w.litesafe(["dump"])
        #expect(usage.status == 64)
        #expect(usage.errorOutput.contains("name a configured database, or give --database <path>"))
    }
}

/// `litesafe fixture`, run as the built binary.
@Suite("litesafe fixture")
struct FixtureCommandTests {
    @Test("make a fixture, check it, change the database, and the check says so with exit 1")
    func makeAndCheck() throws {
        let dir = try TemporaryDirectory("litesafe-e2e")
        let database = dir.path + "/app.db"
        try Fixtures.makeDatabase(at: database, rows: 30)
        let fixture = dir.path + "/fixture.db"
        let made = try Subprocess.run(Subprocess.litesafe, ["fixture", database, "-o", fixture])
        #expect(made.status == 0, "\(made)")
        #expect(made.output.contains("wrote \(fixture) (SHA-256 \(try Fixtures.sha256(fixture)))"))
        let again = try Subprocess.run(Subprocess.litesafe, ["fixture", database, "-o", fixture])
        #expect(again.status == 1)
        #expect(again.errorOutput.contains("exists; choose another name, or add --force"))
        let checked = try Subprocess.run(Subprocess.litesafe, ["fixture", database, "--check", fixture])
        #expect(checked.status == 0, "\(checked)")
        #expect(checked.output.contains("matches"))
        try Subprocess.run("sqlite3", [database, "DELETE FROM items WHERE id = 1"])
        let stale = try Subprocess.run(Subprocess.litesafe, ["fixture", database, "--check", fixture])
        #expect(stale.status == 1)
        #expect(stale.output.contains("does NOT match"))
        let usage = try Subprocess.run(Subprocess.litesafe, ["fixture", database])
        #expect(usage.status == 64)
    }
}

/// `litesafe diff`, run as the built binary.
@Suite("litesafe diff")
struct DiffCommandTests {
    @Test("exit 1 with SQL when the databases differ, 0 when they do not; --summary counts")
    func differences() throws {
        let dir = try TemporaryDirectory("litesafe-e2e")
        let a = dir.path + "/staging.db"
        let b = dir.path + "/prod.db"
        try Fixtures.makeDatabase(at: a, rows: 20)
        try FileManager.default.copyItem(atPath: a, toPath: b)
        let same = try Subprocess.run(Subprocess.litesafe, ["diff", a, b])
        #expect(same.status == 0, "\(same)")
        try Subprocess.run(
            "sqlite3", [b, "DELETE FROM items WHERE id = 1; UPDATE items SET body = x'00' WHERE id = 2"])
        let out = dir.path + "/migrate.sql"
        let differs = try Subprocess.run(Subprocess.litesafe, ["diff", a, b, "-o", out])
        #expect(differs.status == 1, "\(differs)")
        let applied = try Subprocess.run(
            "sqlite3", ["-bail", a], input: try Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(applied.status == 0, "\(applied)")
        #expect(try Subprocess.run(Subprocess.litesafe, ["diff", a, b]).status == 0)
        let summary = try Subprocess.run(Subprocess.litesafe, ["diff", "--summary", b, dir.path + "/other.db"])
        #expect(summary.status == 1)
        #expect(summary.errorOutput.contains("there is no database at \(dir.path)/other.db"))
    }

    @Test("schemas of different versions are refused with the differences and the --schema hint")
    func refused() throws {
        let dir = try TemporaryDirectory("litesafe-e2e")
        let a = dir.path + "/a.db"
        let b = dir.path + "/b.db"
        try Subprocess.run("sqlite3", [a, "CREATE TABLE t(x); PRAGMA user_version=1"])
        try Subprocess.run("sqlite3", [b, "CREATE TABLE t(x); CREATE TABLE u(y); PRAGMA user_version=2"])
        let refused = try Subprocess.run(Subprocess.litesafe, ["diff", a, b])
        #expect(refused.status == 1)
        #expect(
            refused.errorOutput.contains(
                "the schemas differ:\n  table u: only in TO\n  user_version: 1 in FROM, 2 in TO"))
        #expect(refused.errorOutput.contains("add --schema to include these changes"))
        #expect(refused.output.isEmpty)
        let summary = try Subprocess.run(Subprocess.litesafe, ["diff", "--schema", "--summary", a, b])
        #expect(summary.output.contains("schema: create table u\nschema: user_version 1 → 2"), "\(summary)")
    }
}

/// Dump, restore from the dump, then diff: three commands agreeing, run as the built binary.
@Suite("litesafe restore from a dump")
struct DumpRestoreCommandTests {
    @Test("restore FILE.sql gives back a database diff finds no difference with")
    func roundTrip() throws {
        let dir = try TemporaryDirectory("litesafe-e2e")
        let database = dir.path + "/app.db"
        try Fixtures.makeDatabase(at: database, journalMode: "wal", rows: 40)
        let dump = dir.path + "/app.sql"
        #expect(try Subprocess.run(Subprocess.litesafe, ["dump", "--database", database, "-o", dump]).status == 0)
        let out = dir.path + "/restored.db"
        let restored = try Subprocess.run(Subprocess.litesafe, ["restore", dump, "-o", out])
        #expect(restored.status == 0, "\(restored)")
        #expect(restored.output.contains("restored \(dump) to \(out)"))
        #expect(restored.output.contains("WAL mode"))
        let diff = try Subprocess.run(Subprocess.litesafe, ["diff", database, out])
        #expect(diff.status == 0, "\(diff)")
        try Data("BEGIN TRANSACTION;\nCREATE TABLE t(a);\n".utf8).write(to: URL(fileURLWithPath: dir.path + "/cut.sql"))
        let cut = try Subprocess.run(
            Subprocess.litesafe, ["restore", dir.path + "/cut.sql", "-o", dir.path + "/cut.db"])
        #expect(cut.status == 1)
        #expect(cut.errorOutput.contains("the dump ends before its final COMMIT"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/cut.db"))
    }
}

/// diff and fixture reading stored backups by NAME@TIME, run as the built binary.
@Suite("litesafe diff and fixture on stored backups")
struct StoredBackupReferenceTests {
    @Test("app@latest from a store: diff against the live file, a fixture of it; a bad time is explained")
    func nameAtTime() throws {
        let dir = try TemporaryDirectory("litesafe-e2e")
        let key = dir.path + "/key.txt"
        let made = try Subprocess.run(Subprocess.litesafe, ["keygen", "-o", key])
        try #require(made.status == 0)
        let recipient = try #require(
            made.errorOutput.components(separatedBy: "age1").last.map {
                "age1" + $0.trimmingCharacters(in: .whitespacesAndNewlines)
            })
        let backups = dir.path + "/backups"
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        chmod(backups, 0o700)
        let database = dir.path + "/app.db"
        try Fixtures.makeDatabase(at: database, rows: 30)
        let backup = try Subprocess.run(
            Subprocess.litesafe, ["backup", "--database", database, "--to", backups, "--recipient", recipient])
        try #require(backup.status == 0, "\(backup)")
        // The restores go to a private folder under TMPDIR: one of this test's own, so that what
        // is left there after the commands is theirs alone (other tests run in parallel).
        let scratch = dir.path + "/tmp"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let environment = ["TMPDIR": scratch]
        func litesafe(_ arguments: [String]) throws -> ProcessResult {
            try Subprocess.run(Subprocess.litesafe, arguments, environment: environment)
        }
        let same = try litesafe(["diff", "--from", backups, "--identity", key, "app@latest", database])
        #expect(same.status == 0, "\(same)")
        try Subprocess.run("sqlite3", [database, "DELETE FROM items WHERE id = 3"])
        let differs = try litesafe(["diff", "--from", backups, "--identity", key, "--summary", "app@latest", database])
        #expect(differs.status == 1)
        #expect(differs.output.contains("items: 0 inserted, 0 updated, 1 deleted"), "\(differs)")
        let fixture = dir.path + "/fixture.db"
        let fixed = try litesafe(["fixture", "--from", backups, "--identity", key, "app@latest", "-o", fixture])
        #expect(fixed.status == 0, "\(fixed)")
        #expect(try Fixtures.integrityCheck(fixture) == ["ok"])
        let badTime = try litesafe(["diff", "--from", backups, "app@yesterday", database])
        #expect(badTime.status == 1)
        #expect(badTime.errorOutput.contains("'yesterday' is not an ISO 8601 time"))
        // Nothing of the restores is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
    }
}
