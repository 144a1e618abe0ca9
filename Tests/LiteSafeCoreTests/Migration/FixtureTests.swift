import Foundation
import LiteSafeCore
import SQLite
import TestSupport
import Testing

@Suite("Fixtures")
struct FixtureTests {
    /// Builds the same content two ways: rows in another order, a deleted and rewritten table,
    /// another page size, WAL against rollback journal, a VACUUM in between.
    private func sameContentTwoWays(in dir: TemporaryDirectory) throws -> (String, String) {
        let first = dir.path + "/first.db"
        let second = dir.path + "/second.db"
        let a = try Connection(path: first, options: [.readWrite, .create])
        try a.execute(
            """
            PRAGMA page_size=1024; PRAGMA journal_mode=WAL; PRAGMA user_version=5;
            CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t(v);
            CREATE TABLE k(name TEXT PRIMARY KEY, n INT) WITHOUT ROWID;
            """)
        for i in 0..<500 { try a.execute("INSERT INTO t VALUES (\(i), 'value \(i % 37)')") }
        for i in 0..<100 { try a.execute("INSERT INTO k VALUES ('k\(i)', \(i))") }
        let b = try Connection(path: second, options: [.readWrite, .create])
        try b.execute(
            """
            PRAGMA page_size=8192; PRAGMA user_version=5;
            CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t(v);
            CREATE TABLE k(name TEXT PRIMARY KEY, n INT) WITHOUT ROWID;
            CREATE TABLE scratch(x); INSERT INTO scratch VALUES (randomblob(100000));
            """)
        for i in (0..<500).reversed() { try b.execute("INSERT INTO t VALUES (\(i), 'value \(i % 37)')") }
        try b.execute("DROP TABLE scratch; INSERT INTO t VALUES (9999, 'gone'); DELETE FROM t WHERE id = 9999")
        for i in (0..<100).shuffled() { try b.execute("INSERT INTO k VALUES ('k\(i)', \(i))") }
        return (first, second)
    }

    @Test("the same content made by different histories gives byte-identical fixtures")
    func deterministic() throws {
        let dir = try TemporaryDirectory()
        let (first, second) = try sameContentTwoWays(in: dir)
        #expect(try Fixtures.sha256(first) != Fixtures.sha256(second))
        let one = try Fixture().make(from: first, to: dir.path + "/one.db")
        let two = try Fixture().make(from: second, to: dir.path + "/two.db")
        #expect(one == two)
        #expect(try Fixtures.sha256(dir.path + "/one.db") == Fixtures.sha256(dir.path + "/two.db"))
        #expect(one == (try Fixtures.sha256(dir.path + "/one.db")))
    }

    @Test("a fixture is a plain, compact, checked copy of the content, in rollback-journal mode")
    func shape() throws {
        let dir = try TemporaryDirectory()
        let source = dir.path + "/zoo.db"
        try DumpZoo.make(at: source)
        let out = dir.path + "/fixture.db"
        try Fixture().make(from: source, to: out)
        let db = try Connection(path: out, options: [.readOnly])
        #expect(try db.integer("PRAGMA page_size") == 4096)
        #expect(try db.journalMode() == "delete")
        #expect(try db.integer("PRAGMA freelist_count") == 0)
        #expect(try db.integer("PRAGMA user_version") == 7)
        #expect(try Fixtures.integrityCheck(out) == ["ok"])
        let (copy, original) = (try DatabaseContent(out), try DatabaseContent(source))
        #expect(copy == original, "\(copy.differences(from: original))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") } == [])
    }

    @Test("a fixture matches its database until the database's content changes")
    func check() throws {
        let dir = try TemporaryDirectory()
        let (first, second) = try sameContentTwoWays(in: dir)
        let fixture = dir.path + "/fixture.db"
        try Fixture().make(from: first, to: fixture)
        #expect(try Fixture().matches(fixture, source: first, scratch: dir.path))
        #expect(try Fixture().matches(fixture, source: second, scratch: dir.path))
        try Connection(path: second, options: [.readWrite]).execute("UPDATE t SET v = 'changed' WHERE id = 3")
        #expect(try !Fixture().matches(fixture, source: second, scratch: dir.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") } == [])
    }
}
