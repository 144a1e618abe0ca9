import Foundation
import LiteSafeCore
import SQLite
import TestSupport
import Testing

/// Exports into a real PostgreSQL 15 started by each test.
@Suite("PostgreSQL export", .serialized)
struct PostgresExportTests {
    /// Tables whose every value fits the documented map: keys, NOT NULL, defaults, UNIQUE,
    /// foreign keys, indexes, an AUTOINCREMENT key, a generated column, full-precision reals,
    /// 64-bit integer extremes, BLOBs with NULs, text with quotes, tabs, newlines and backslashes.
    static func makeSource(at path: String) throws {
        try Connection(path: path, options: [.readWrite, .create]).execute(
            """
            PRAGMA journal_mode=WAL;
            CREATE TABLE users(id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name VARCHAR(40),
              score REAL, active BOOLEAN NOT NULL DEFAULT 1, balance NUMERIC, avatar BLOB, note TEXT DEFAULT 'none',
              shout TEXT GENERATED ALWAYS AS (upper(name)) VIRTUAL);
            CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), total REAL NOT NULL,
              placed TEXT, extra);
            CREATE INDEX orders_user ON orders(user_id, placed DESC);
            CREATE TABLE tags(user_id INTEGER, tag TEXT, PRIMARY KEY(user_id, tag)) WITHOUT ROWID;
            CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
            CREATE TRIGGER touch AFTER INSERT ON orders BEGIN SELECT 1; END;
            INSERT INTO users(email, name, score, active, balance, avatar) VALUES
              ('a@x', 'Ann', 3.141592653589793, 1, 10.25, X'00ff00'),
              ('b@x', 'Bob''s', 1e-300, 0, -9223372036854775808, NULL),
              ('c@x', 'tab	and
            newline \\ backslash', 9007199254740993.0, 1, 9223372036854775807, X'');
            DELETE FROM users WHERE email = 'c@x';
            INSERT INTO users(email, name, note) VALUES ('d@x', NULL, 'ends with two spaces and a newline  ' || char(10));
            INSERT INTO orders VALUES (1, 1, 99.5, '2026-01-01', 7), (2, 1, 250, NULL, 8), (5, 2, 0.1, '2026-02-02', NULL);
            INSERT INTO tags VALUES (1, 'vip'), (2, 'new');
            """)
    }

    @Test("the zoo exports whole: rows, keys, NOT NULL, identity past the maximum; views and triggers listed")
    func exportsAndVerifies() throws {
        let server = try PostgresServer()
        let dir = try TemporaryDirectory()
        let source = dir.path + "/app.db"
        try Self.makeSource(at: source)
        let report = try PostgresExport().export(
            database: source, to: server.connectionString, schema: "app", overrides: [:])
        #expect(report.rows == ["users": 3, "orders": 3, "tags": 2])
        #expect(report.notExported.contains("view big_orders: its SQL dialect differs; not exported"))
        #expect(report.notExported.contains("trigger touch: its SQL dialect differs; not exported"))
        // The copy just made verifies clean (only what is never exported is listed).
        #expect(
            try PostgresExport().verify(database: source, against: server.connectionString, schema: "app") == [
                "view big_orders: its SQL dialect differs; not compared",
                "trigger touch: its SQL dialect differs; not compared",
            ])
        #expect(try server.psql("SELECT score FROM app.users WHERE id = 1") == "3.141592653589793")
        #expect(try server.psql("SELECT balance FROM app.users WHERE id = 2") == "-9223372036854775808")
        #expect(try server.psql("SELECT shout FROM app.users WHERE id = 1") == "ANN")
        #expect(
            try server.psql(
                "SELECT data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'users' AND column_name IN ('score', 'email') ORDER BY column_name"
            ) == "text NO\ndouble precision YES")
        // The identity continues past the largest id, and the foreign key holds.
        #expect(try server.psql("INSERT INTO app.users(email) VALUES ('e@x') RETURNING id") == "5")
        #expect(throws: PostgresServerError.self) {
            try server.psql("INSERT INTO app.orders(user_id, total) VALUES (99, 1)")
        }
        #expect(
            try server.psql("SELECT indexname FROM pg_indexes WHERE schemaname = 'app' AND indexname = 'orders_user'")
                == "orders_user")
        // And a copy changed afterwards no longer does.
        #expect(
            try PostgresExport().verify(database: source, against: server.connectionString, schema: "app")
                .contains("users: 3 rows in SQLite, 4 in PostgreSQL"))
    }

    @Test("values that would change are refused with table, column, row and why; nothing is exported")
    func refusesCoercions() throws {
        let server = try PostgresServer()
        let dir = try TemporaryDirectory()
        let source = dir.path + "/bad.db"
        try Connection(path: source, options: [.readWrite, .create]).execute(
            """
            CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, u UUID, d NUMERIC, s TEXT);
            INSERT INTO t VALUES (1, 'twelve', '5f1c0d4e-1111-2222-3333-444455556666', 1.5, 'ok');
            INSERT INTO t VALUES (2, 3, 'not-a-uuid', 1e999, CAST(X'ff' AS TEXT));
            INSERT INTO t VALUES (3, 1e30, NULL, NULL, CAST(X'610062' AS TEXT));
            """)
        do {
            _ = try PostgresExport().export(
                database: source, to: server.connectionString, schema: "public", overrides: [:])
            Issue.record("a lossy export succeeded")
        } catch let problem as ExportProblem {
            guard case .coercions(let found, let total) = problem else { throw problem }
            #expect(total == 6)
            #expect(
                found.map(\.description) == [
                    "t.n, row 1: text 'twelve' where bigint is expected",
                    "t.u, row 2: 'not-a-uuid' is not a UUID",
                    "t.d, row 2: inf has no numeric value (Infinity)",
                    "t.s, row 2: text that is not valid UTF-8, which PostgreSQL refuses",
                    "t.n, row 3: the real 1e+30 is not an integer (or is beyond bigint)",
                    "t.s, row 3: text holding a NUL byte, which PostgreSQL text cannot",
                ])
        }
        #expect(try server.psql("SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "0")
        // --type says how: the integer column as text, then only the other refusals remain.
        #expect(throws: ExportProblem.self) {
            try PostgresExport().dryRun(database: source, schema: "public", overrides: ["t.n": "text"])
        }
        #expect(throws: ExportProblem.unknownOverride("t.nope")) {
            try PostgresExport().dryRun(database: source, schema: "public", overrides: ["t.nope": "text"])
        }
    }

    @Test("pgloader's silent losses (REAL as float4, NOT NULL dropped) are caught by --verify-only")
    func catchesPgloader() throws {
        let server = try PostgresServer()
        let dir = try TemporaryDirectory()
        let source = dir.path + "/app.db"
        try Connection(path: source, options: [.readWrite, .create]).execute(
            """
            CREATE TABLE measures(id INTEGER PRIMARY KEY, label TEXT NOT NULL, value REAL);
            INSERT INTO measures VALUES (1, 'pi', 3.141592653589793), (2, 'e', 2.718281828459045);
            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        let loaded = try Subprocess.run(
            "pgloader",
            ["--no-ssl-cert-verification", source, "postgresql:///postgres?host=\(server.folder)&user=postgres"],
            environment: ["HOME": dir.path])
        try #require(loaded.status == 0, "pgloader failed: \(loaded)")
        let differences = try PostgresExport().verify(
            database: source, against: server.connectionString, schema: "public")
        #expect(differences.contains("measures.value: real (float4) in PostgreSQL rounds SQLite's 64-bit reals"))
        #expect(differences.contains("measures.label: NOT NULL in SQLite, nullable in PostgreSQL"))
        #expect(differences.contains("measures: the rows' content differs (values changed on the way)"))
    }
}
