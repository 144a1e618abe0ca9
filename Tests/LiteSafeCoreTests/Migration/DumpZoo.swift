import Foundation
import SQLite
import TestSupport

/// A database with one of everything a dump must carry: AUTOINCREMENT, generated columns,
/// WITHOUT ROWID, STRICT with ANY, rowids with gaps, FTS5 (own and external content), R*Tree,
/// views, triggers, indexes, statistics, BLOBs with NULs, text with quotes, newlines, NULs and
/// non-ASCII, reals at full precision and 64-bit integer extremes, in WAL mode with pragmas set.
enum DumpZoo {
    static func make(at path: String) throws {
        let db = try Connection(path: path, options: [.readWrite, .create])
        try db.execute(
            """
            PRAGMA journal_mode=WAL; PRAGMA user_version=7; PRAGMA application_id=1234;
            CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, r REAL, b BLOB,
              g TEXT GENERATED ALWAYS AS (upper(name)) VIRTUAL, s INT GENERATED ALWAYS AS (id*2) STORED);
            CREATE TABLE w(k TEXT, v INT, PRIMARY KEY(k, v)) WITHOUT ROWID;
            CREATE TABLE st(x INTEGER, y ANY) STRICT;
            CREATE TABLE plain(t TEXT);
            CREATE TABLE descending(id INTEGER PRIMARY KEY DESC, v TEXT);
            INSERT INTO descending(rowid, id, v) VALUES (7, 1, 'not the rowid'), (3, 2, 'two');
            CREATE VIRTUAL TABLE f USING fts5(title, body);
            CREATE VIRTUAL TABLE r USING rtree(id, x0, x1);
            CREATE TABLE doc(id INTEGER PRIMARY KEY, body TEXT);
            CREATE VIRTUAL TABLE fx USING fts5(body, content='doc', content_rowid='id');
            CREATE VIEW va AS SELECT name FROM a;
            CREATE TRIGGER ta AFTER INSERT ON plain BEGIN INSERT INTO st VALUES (1, 'trig'); END;
            CREATE INDEX ia ON a(name);
            INSERT INTO a(name, r, b) VALUES ('it''s', 3.141592653589793, X'00ff00'), ('multi
            line', 1e300, NULL), ('x', -0.5, X''), ('tiny', 5e-324, NULL);
            INSERT INTO a(name, r) VALUES ('inf', 1e999), ('-inf', -1e999);
            DELETE FROM a WHERE name = 'x';
            INSERT INTO w VALUES ('b', 2), ('a', 1);
            INSERT INTO st VALUES (1, 2.5), (2, X'01'), (3, 'text'), (-9223372036854775808, 9223372036854775807);
            INSERT INTO plain(rowid, t) VALUES (10, 'ten'), (5, CAST(X'610062' AS TEXT)), (7, 'ünïcödé ‮'), (8, CAST(X'ff' AS TEXT));
            INSERT INTO f VALUES ('hello', 'world'), ('foo', 'bar baz');
            INSERT INTO r VALUES (1, 0.5, 1.5), (2, -3, 4);
            INSERT INTO doc VALUES (1, 'alpha beta'), (2, 'gamma');
            INSERT INTO fx(fx) VALUES('rebuild');
            ANALYZE;
            """)
    }
}

/// Everything a database holds that a dump must give back, read without the dump's code:
/// each table's rows (in rowid or key order) and each schema entry's SQL.
struct DatabaseContent: Equatable, CustomStringConvertible {
    var tables: [String: [[Value]]] = [:]
    var schema: [String] = []

    init(_ path: String) throws {
        let db = try Connection(path: path, options: [.readOnly])
        let shadow = Set(try db.column("SELECT name FROM pragma_table_list WHERE type = 'shadow'"))
        for name in try db.column(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual')")
        where !shadow.contains(name) && name != "sqlite_schema" {
            let quoted = "\"" + name + "\""
            // ANALYZE's statistics are one set of facts; the order they were written in is not.
            let rowOrdered = name != "sqlite_stat1" && (try? db.prepare("SELECT rowid FROM \(quoted) LIMIT 0")) != nil
            let statement = try db.prepare(
                rowOrdered ? "SELECT rowid, * FROM \(quoted) ORDER BY rowid" : "SELECT * FROM \(quoted) ORDER BY 1, 2")
            var rows: [[Value]] = []
            while try statement.step() { rows.append((0..<statement.columnCount).map { statement.value(at: $0) }) }
            tables[name] = rows
        }
        schema = try db.column(
            "SELECT type || ' ' || name || ': ' || sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY type, name")
    }

    var description: String { "\(schema)\n\(tables)" }

    /// Where two contents differ, for a failure message.
    func differences(from other: DatabaseContent) -> String {
        var lines: [String] = []
        for name in Set(tables.keys).union(other.tables.keys).sorted() where tables[name] != other.tables[name] {
            let mine = tables[name] ?? []
            let theirs = other.tables[name] ?? []
            let first =
                zip(mine, theirs).first { $0 != $1 }.map { "\($0.0) vs \($0.1)" }
                ?? "\(mine.count) vs \(theirs.count) rows"
            lines.append("\(name): \(first)")
        }
        if schema != other.schema { lines.append("schema: \(schema) vs \(other.schema)") }
        return lines.joined(separator: "\n")
    }
}
