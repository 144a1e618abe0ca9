import Foundation
import SQLite
import TestSupport
import Testing

@testable import LiteSafeCore

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

    @Test("binary COPY stores what a text COPY would: numeric digits and scale, doubles to the bit, UUIDs, bytes")
    func binaryStoresWhatTextWould() throws {
        let server = try PostgresServer()
        let dir = try TemporaryDirectory()
        let source = dir.path + "/values.db"
        let reals = [0.1, -0.0, 1e-300, 3.141592653589793, 1e30, -1.7976931348623157e+308, 5e-324, 100.0, 12345.678]
        let integers: [Int64] = [0, 7, -1, 1 << 53, Int64.min, Int64.max, 10000, 123_456_789]
        let c = try Connection(path: source, options: [.readWrite, .create])
        try c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, n NUMERIC, r REAL, u UUID, b BLOB, s TEXT, f BOOLEAN)")
        let insert = try c.prepare("INSERT INTO t(n, r, u, b, s, f) VALUES (?, ?, ?, ?, ?, ?)")
        for (i, real) in reals.enumerated() {
            insert.reset()
            try insert.bind(real, at: 1)
            try insert.bind(i % 2 == 0 ? real : Double(integers[i % integers.count] >> 12), at: 2)
            try insert.bind(String(format: "%08X-0000-4000-8000-%012x", i, i * 7919), at: 3)
            try insert.bind((0..<(i * 700)).map { UInt8(truncatingIfNeeded: $0 * 31) }, at: 4)
            try insert.bind("row \(i)\ttab\nnewline\\backslash é", at: 5)
            try insert.bind(Int64(i % 2), at: 6)
            _ = try insert.step()
        }
        for integer in integers {
            try c.execute("INSERT INTO t(n) VALUES (\(integer))")
        }
        _ = try PostgresExport().export(database: source, to: server.connectionString, schema: "app", overrides: [:])
        // What a text COPY would have sent, parsed by PostgreSQL itself, against what is stored.
        let sent = try c.prepare("SELECT id, n, r, u, f FROM t ORDER BY id")
        var rows: [String] = []
        while try sent.step() {
            var fields: [String] = [String(sent.integer(at: 0))]
            for (i, type) in [(1, PostgresType.numeric), (2, .doublePrecision), (3, .uuid), (4, .boolean)] {
                guard case .success(let field) = PostgresValue.field(sent.value(at: Int32(i)), as: type) else {
                    Issue.record("row \(fields[0]) refused")
                    continue
                }
                fields.append(field == "\\N" ? "NULL" : "'\(field)'::\(type)")
            }
            rows.append("(" + fields.joined(separator: ", ") + ")")
        }
        let expected = try server.psql(
            "SELECT i, n::text, r::text, u::text, f::text FROM (VALUES \(rows.joined(separator: ", "))) AS x(i, n, r, u, f) ORDER BY i"
        )
        let stored = try server.psql("SELECT id, n::text, r::text, u::text, f::text FROM app.t ORDER BY id")
        #expect(stored == expected)
        #expect(stored.contains("|0.1|0.1|"))
        #expect(stored.contains("|1e-300|"))
        #expect(stored.contains("|0.000"))  // numeric's scale as numeric_in gives it for 1e-300
        let blobs = try c.column(
            "SELECT coalesce(length(b) || ':' || hex(b), 'NULL') || '|' || iif(s IS NULL, 'NULL', hex(s)) FROM t ORDER BY id"
        )
        let copied = try server.psql(
            "SELECT coalesce(length(b) || ':' || upper(encode(b, 'hex')), 'NULL') || '|' "
                + "|| coalesce(upper(encode(convert_to(s, 'UTF8'), 'hex')), 'NULL') FROM app.t ORDER BY id"
        ).split(separator: "\n").map(String.init)
        for (ours, theirs) in zip(blobs, copied) where ours != theirs {
            Issue.record("stored \(theirs.prefix(80)), not \(ours.prefix(80))")
        }
        #expect(copied.count == blobs.count)
    }

    /// A value for a column, and what a meddling server stores instead.
    struct Meddling: Sendable, CustomStringConvertible {
        let declared: String
        let value: String
        let replacement: String
        var override: String? = nil
        var description: String { override ?? declared }
    }

    @Test("a server that changes a value or drops a row on the way is caught, and nothing is committed")
    func catchesAMeddlingServer() throws {
        let server = try PostgresServer()
        let dir = try TemporaryDirectory()
        // Every table created gets a trigger that changes row 2's v (or drops row 2).
        try server.psql(
            """
            CREATE TABLE public.meddling(kind text, replacement text);
            CREATE FUNCTION public.meddle() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE m record;
            BEGIN
              SELECT * INTO m FROM public.meddling;
              IF NEW.id = 2 AND m.kind = 'drop' THEN RETURN NULL; END IF;
              IF NEW.id = 2 AND m.kind = 'change' THEN
                NEW := json_populate_record(NEW, json_build_object('v', m.replacement));
              END IF;
              RETURN NEW;
            END $$;
            CREATE FUNCTION public.add_meddler() RETURNS event_trigger LANGUAGE plpgsql AS $$
            DECLARE r record;
            BEGIN
              FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' LOOP
                EXECUTE format('CREATE TRIGGER meddle BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION public.meddle()',
                  r.object_identity);
              END LOOP;
            END $$;
            CREATE EVENT TRIGGER meddler ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
              EXECUTE FUNCTION public.add_meddler();
            """)
        let cases = [
            Meddling(declared: "INTEGER", value: "5", replacement: "6"),
            Meddling(declared: "REAL", value: "1.5", replacement: "1.5000000000000002"),
            Meddling(declared: "NUMERIC", value: "10.25", replacement: "10.26"),
            Meddling(declared: "TEXT", value: "'a'", replacement: "b"),
            Meddling(declared: "BLOB", value: "X'00'", replacement: "\\x01"),
            Meddling(
                declared: "UUID", value: "'5f1c0d4e-1111-2222-3333-444455556666'",
                replacement: "5f1c0d4e-1111-2222-3333-444455556667"),
            Meddling(declared: "BOOLEAN", value: "1", replacement: "false"),
            // A --type column PostgreSQL parses from text goes in (and is read back) as text.
            Meddling(declared: "DATE", value: "'2026-01-01'", replacement: "2026-01-02", override: "date"),
        ]
        for (i, meddling) in cases.enumerated() {
            let source = dir.path + "/case\(i).db"
            try Connection(path: source, options: [.readWrite, .create]).execute(
                """
                CREATE TABLE t(id INTEGER PRIMARY KEY, v \(meddling.declared));
                INSERT INTO t VALUES (1, \(meddling.value)), (2, \(meddling.value)), (3, NULL);
                """)
            let overrides = meddling.override.map { ["t.v": $0] } ?? [:]
            for kind in ["change", "drop"] {
                try server.psql(
                    "DELETE FROM public.meddling; INSERT INTO public.meddling VALUES ('\(kind)', '\(meddling.replacement)')"
                )
                #expect(
                    throws: ExportProblem.verificationFailed([
                        kind == "drop" ? "t: 3 rows in SQLite, 2 in PostgreSQL" : "t: the rows' content differs"
                    ]),
                    "\(meddling), \(kind)"
                ) {
                    try PostgresExport().export(
                        database: source, to: server.connectionString, schema: "c\(i)", overrides: overrides)
                }
                #expect(try server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'c\(i)'") == "0")
            }
            // Without the meddler the same export goes through: the catch above was the change.
            try server.psql("DELETE FROM public.meddling; INSERT INTO public.meddling VALUES ('none', NULL)")
            let report = try PostgresExport().export(
                database: source, to: server.connectionString, schema: "c\(i)", overrides: overrides)
            #expect(report.rows == ["t": 3], "\(meddling)")
        }
    }

    @Test("a database in another encoding gets the characters, not their UTF-8 bytes; one it cannot hold is refused")
    func otherServerEncoding() throws {
        let server = try PostgresServer()
        let dir = try TemporaryDirectory()
        try server.psql("CREATE DATABASE latin ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
        let latin = server.connectionString.replacingOccurrences(of: "dbname=postgres", with: "dbname=latin")
        let source = dir.path + "/text.db"
        let c = try Connection(path: source, options: [.readWrite, .create])
        try c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT); INSERT INTO t VALUES (1, 'café');")
        _ = try PostgresExport().export(database: source, to: latin, schema: "app", overrides: [:])
        // c, a, f, é (one LATIN1 byte, C3 A9 in UTF-8): four characters, not the five of 'cafÃ©'.
        #expect(
            try server.psql("SELECT encode(convert_to(s, 'UTF8'), 'hex'), length(s) FROM app.t", database: "latin")
                == "636166c3a9|4")
        #expect(try PostgresExport().verify(database: source, against: latin, schema: "app") == [])
        try c.execute("INSERT INTO t VALUES (2, '10 €')")
        do {
            _ = try PostgresExport().export(database: source, to: latin, schema: "euro", overrides: [:])
            Issue.record("a € went into LATIN1")
        } catch {
            #expect("\(error)".contains("has no equivalent in encoding \"LATIN1\""), "\(error)")
        }
        #expect(try server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'euro'", database: "latin") == "0")
    }
}
