import Foundation
import SQLite
import TestTools
import Testing

@Suite("SQLite wrapper")
struct ConnectionTests {
    @Test("opening without .create never makes a file")
    func noCreate() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/missing.db"
        #expect(throws: SQLiteError.self) { try Connection(path: path, options: [.readWrite]) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("a symlink is refused with .noFollow and reported as such")
    func symlink() throws {
        let dir = try TemporaryDirectory()
        try Fixtures.makeDatabase(at: dir.path + "/real.db")
        try FileManager.default.createSymbolicLink(
            atPath: dir.path + "/link.db", withDestinationPath: dir.path + "/real.db")
        do {
            _ = try Connection(path: dir.path + "/link.db", options: [.readWrite, .noFollow])
            Issue.record("opened a symlink")
        } catch let error as SQLiteError {
            #expect(error.kind == .symlink)
        }
    }

    @Test("not a database is its own kind")
    func notADatabase() throws {
        let dir = try TemporaryDirectory()
        try Data(repeating: 1, count: 4096).write(to: dir.appending("x.db"))
        let connection = try Connection(path: dir.path + "/x.db", options: [.readWrite])
        do {
            _ = try connection.journalMode()
            Issue.record("read a non-database")
        } catch let error as SQLiteError {
            #expect(error.kind == .notADatabase)
        }
    }

    @Test("a passive checkpoint reports WAL frames")
    func checkpoint() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/w.db"
        try Fixtures.makeDatabase(at: path, journalMode: "wal", rows: 50)
        let writer = try Connection(path: path, options: [.readWrite])
        try writer.execute("PRAGMA wal_autocheckpoint=0; INSERT INTO items(body) VALUES (x'01')")
        let checkpointer = try Connection(path: path, options: [.readWrite])
        // A connection knows the database is in WAL mode only once it has read it.
        #expect(try checkpointer.journalMode() == "wal")
        let result = try checkpointer.checkpoint(.passive)
        #expect(result.framesInLog > 0)
        #expect(result.framesCheckpointed == result.framesInLog)
        #expect(!result.wasBusy)
    }

    @Test("the online backup copies every page")
    func onlineBackup() throws {
        let dir = try TemporaryDirectory()
        try Fixtures.makeDatabase(at: dir.path + "/a.db", journalMode: "delete", rows: 300)
        let source = try Connection(path: dir.path + "/a.db", options: [.readOnly])
        let destination = try Connection(path: dir.path + "/b.db", options: [.readWrite, .create])
        let backup = try OnlineBackup(from: source, to: destination)
        var steps = 0
        while try backup.step(pages: 2) != .done { steps += 1 }
        #expect(steps > 1)
        #expect(try destination.integer("SELECT count(*) FROM items") == 300)
    }

    // The library's own answer, checked against what the `sqlite3` CLI (the same Debian
    // package's library) says, and the rule's edge checked on version numbers a test can pick.
    @Test("the linked SQLite's version is the one the sqlite3 CLI reports")
    func versionMatchesTheCLI() throws {
        let printed = try Subprocess.run("sqlite3", ["-version"]).output
        let parts = try #require(printed.split(separator: " ").first).split(separator: ".").compactMap { Int($0) }
        try #require(parts.count == 3)
        #expect(Library.versionNumber == parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2])
        #expect(Library.version == parts.map(String.init).joined(separator: "."))
    }

    @Test(
        "the WAL-reset bug is flagged for versions before 3.51.3",
        arguments: [(3_040_001, true), (3_051_002, true), (3_051_003, false), (3_054_000, false)])
    func walResetBug(version: Int, affected: Bool) {
        #expect(Library.hasWALResetBug(version: version) == affected)
    }

    @Test("Debian 12's SQLite (3.40.1) has the WAL-reset bug")
    func walResetBugOnThisMachine() throws {
        try #require(Library.versionNumber < 3_051_003, "SQLite \(Library.version) is newer than Debian 12's")
        #expect(Library.hasWALResetBug)
    }
}
