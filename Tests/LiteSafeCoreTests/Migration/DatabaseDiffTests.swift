import Foundation
import LiteSafeCore
import SQLite
import TestSupport
import Testing

@Suite("Database diffs")
struct DatabaseDiffTests {
    /// One schema with a table of each kind a diff matches rows in, and a trigger that would
    /// change another table if it fired while the diff is applied.
    static let schema = """
        CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB);
        CREATE TABLE plain(label TEXT, n);
        CREATE TABLE pairs(a TEXT, b INTEGER, v ANY, PRIMARY KEY(a, b)) WITHOUT ROWID, STRICT;
        CREATE TABLE audit(what TEXT);
        CREATE INDEX items_name ON items(name);
        CREATE VIEW scored AS SELECT name FROM items WHERE score > 0;
        CREATE TRIGGER items_audit AFTER UPDATE ON items BEGIN INSERT INTO audit VALUES ('updated ' || new.id); END;
        CREATE VIRTUAL TABLE search USING fts5(body);
        """

    /// A value of a random storage class; several forms of "1" so that type changes happen.
    /// `exactInFifteenDigits`: only reals that sqldiff, which prints 15 significant digits, keeps.
    static func randomValue(_ rng: inout SeededGenerator, exactInFifteenDigits: Bool = false) -> String {
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: return "NULL"
        case 1: return "1"
        case 2: return "1.0"
        case 3: return "'1'"
        case 4:
            // In a REAL column an integer becomes a real: keep it to digits sqldiff prints.
            let bound: Int64 = exactInFifteenDigits ? 1_000_000_000_000 : .max
            return String(Int64.random(in: -bound...bound, using: &rng))
        case 5:
            let real = Double.random(in: -1e6...1e6, using: &rng)
            return exactInFifteenDigits ? String(Double(Int(real)) / 4) : String(real)
        case 6: return "X'" + String(format: "%04x", Int.random(in: 0..<65536, using: &rng)) + "00'"
        default: return "'text \(Int.random(in: 0..<50, using: &rng)) it''s\nline'"
        }
    }

    static func populate(_ db: Connection, _ rng: inout SeededGenerator) throws {
        try db.execute("BEGIN")
        for id in 0..<40 where Bool.random(using: &rng) {
            try db.execute(
                "INSERT INTO items VALUES (\(id), \(randomValue(&rng)), \(randomValue(&rng)), \(randomValue(&rng)))")
        }
        for rowid in 0..<30 where Bool.random(using: &rng) {
            try db.execute(
                "INSERT INTO plain(rowid, label, n) VALUES (\(rowid), \(randomValue(&rng)), \(randomValue(&rng)))")
        }
        for a in ["x", "y"] {
            for b in 0..<10 where Bool.random(using: &rng) {
                try db.execute("INSERT INTO pairs VALUES ('\(a)', \(b), \(randomValue(&rng)))")
            }
        }
        for rowid in 1..<15 where Bool.random(using: &rng) {
            try db.execute(
                "INSERT INTO search(rowid, body) VALUES (\(rowid), 'word\(Int.random(in: 0..<9, using: &rng)) other')")
        }
        try db.execute("COMMIT")
    }

    /// Applies `sql` to a copy of `from` with the stock sqlite3 CLI; returns the copy's path.
    static func apply(_ sql: Data, to from: String, as name: String, in dir: TemporaryDirectory) throws -> String {
        let copy = dir.path + "/" + name
        try FileManager.default.copyItem(atPath: from, toPath: copy)
        let result = try Subprocess.run("sqlite3", ["-bail", copy], input: sql)
        try #require(result.status == 0, "sqlite3 could not apply the diff: \(result)")
        return copy
    }

    static func diff(_ from: String, _ to: String, schema: Bool = false) throws -> (Data, DatabaseDiff.Summary) {
        var sql = Data()
        let summary = try DatabaseDiff().write(from: from, to: to, includeSchema: schema) { sql.append(contentsOf: $0) }
        return (sql, summary)
    }

    @Test("applied to FROM, the diff gives TO: every table, view, trigger and pragma", arguments: 0..<25)
    func randomPairs(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let dir = try TemporaryDirectory()
        let a = dir.path + "/a.db"
        let b = dir.path + "/b.db"
        for path in [a, b] {
            try Connection(path: path, options: [.readWrite, .create]).execute(Self.schema)
        }
        try Self.populate(try Connection(path: a, options: [.readWrite]), &rng)
        try Self.populate(try Connection(path: b, options: [.readWrite]), &rng)
        let (sql, summary) = try Self.diff(a, b)
        let applied = try Self.apply(sql, to: a, as: "applied.db", in: dir)
        let (got, want) = (try DatabaseContent(applied), try DatabaseContent(b))
        #expect(got == want, "seed \(seed): \(got.differences(from: want))")
        #expect(!summary.isEmpty)
        // Nothing left to change: the diff of the result is empty.
        #expect(try Self.diff(applied, b).1.isEmpty)
    }

    @Test("on data-only differences the result equals what Debian's sqldiff gives", arguments: 0..<10)
    func sameAsSqldiff(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed + 100)
        let dir = try TemporaryDirectory()
        let a = dir.path + "/a.db"
        let b = dir.path + "/b.db"
        // sqldiff knows neither triggers nor virtual tables: compare on what it does know.
        let plainSchema =
            "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB);"
            + "CREATE TABLE pairs(a TEXT, b INTEGER, v ANY, PRIMARY KEY(a, b)) WITHOUT ROWID, STRICT;"
        for path in [a, b] {
            let db = try Connection(path: path, options: [.readWrite, .create])
            try db.execute(plainSchema + "BEGIN")
            for id in 0..<40 where Bool.random(using: &rng) {
                let (name, score) = (
                    Self.randomValue(&rng, exactInFifteenDigits: true),
                    Self.randomValue(&rng, exactInFifteenDigits: true)
                )
                try db.execute("INSERT INTO items VALUES (\(id), \(name), \(score), NULL)")
            }
            for b in 0..<10 where Bool.random(using: &rng) {
                try db.execute(
                    "INSERT INTO pairs VALUES ('k', \(b), \(Self.randomValue(&rng, exactInFifteenDigits: true)))")
            }
            try db.execute("COMMIT")
        }
        let ours = try Self.apply(try Self.diff(a, b).0, to: a, as: "ours.db", in: dir)
        let stock = try Subprocess.run("sqldiff", [a, b])
        try #require(stock.status == 0, "\(stock)")
        let theirs = try Self.apply(stock.stdout, to: a, as: "sqldiff.db", in: dir)
        let (got, want) = (try DatabaseContent(ours), try DatabaseContent(theirs))
        #expect(got.tables == want.tables, "seed \(seed): \(got.differences(from: want))")
        #expect(got == (try DatabaseContent(b)))
    }

    @Test("mismatched user_version and schemas are refused with the differences listed")
    func refusesMismatch() throws {
        let dir = try TemporaryDirectory()
        let a = dir.path + "/a.db"
        let b = dir.path + "/b.db"
        try Connection(path: a, options: [.readWrite, .create]).execute(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); PRAGMA user_version=3")
        try Connection(path: b, options: [.readWrite, .create]).execute(
            """
            CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, added INT DEFAULT 7); CREATE TABLE extra(x);
            CREATE INDEX t_v ON t(v); INSERT INTO t(id, v) VALUES (1, 'one'); INSERT INTO extra VALUES (1);
            PRAGMA user_version=4
            """)
        do {
            _ = try Self.diff(a, b)
            Issue.record("a diff across schema versions was written")
        } catch let refused as DatabaseDiff.Refused {
            #expect(refused.expressibleWithSchema)
            #expect(
                refused.differences == [
                    "table extra: only in TO", "table t: column added: added INT DEFAULT 7", "index t_v: only in TO",
                    "user_version: 3 in FROM, 4 in TO",
                ])
        }
        // With --schema, every one of those is expressed and applied.
        let (sql, summary) = try Self.diff(a, b, schema: true)
        #expect(summary.schemaChanges.contains("add column added INT DEFAULT 7 to t"))
        let applied = try Self.apply(sql, to: a, as: "applied.db", in: dir)
        let (got, want) = (try DatabaseContent(applied), try DatabaseContent(b))
        #expect(got == want, "\(got.differences(from: want))")
        #expect(try Connection(path: applied, options: [.readOnly]).integer("PRAGMA user_version") == 4)
    }

    @Test("a change only a column's collation hides (NOCASE, RTRIM) is still a change")
    func collations() throws {
        let dir = try TemporaryDirectory()
        let a = dir.path + "/a.db"
        let b = dir.path + "/b.db"
        let schema = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE, pad TEXT COLLATE RTRIM);"
        try Connection(path: a, options: [.readWrite, .create]).execute(schema + "INSERT INTO t VALUES (1, 'bob', 'a')")
        try Connection(path: b, options: [.readWrite, .create]).execute(
            schema + "INSERT INTO t VALUES (1, 'Bob', 'a ')")
        let (sql, summary) = try Self.diff(a, b)
        #expect(summary.tables.map(\.updates) == [1])
        let applied = try Self.apply(sql, to: a, as: "applied.db", in: dir)
        #expect(try DatabaseContent(applied) == DatabaseContent(b))
    }

    @Test("a column whose type changed cannot be expressed, even with --schema")
    func refusesInexpressible() throws {
        let dir = try TemporaryDirectory()
        let a = dir.path + "/a.db"
        let b = dir.path + "/b.db"
        try Connection(path: a, options: [.readWrite, .create]).execute(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
        try Connection(path: b, options: [.readWrite, .create]).execute(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)")
        #expect(throws: DatabaseDiff.Refused.self) { try Self.diff(a, b, schema: true) }
        do {
            _ = try Self.diff(a, b, schema: true)
        } catch let refused as DatabaseDiff.Refused {
            #expect(!refused.expressibleWithSchema)
            #expect(refused.differences.first?.hasPrefix("table t: defined differently") == true)
        }
    }
}
