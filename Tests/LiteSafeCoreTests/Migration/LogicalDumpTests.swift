import Foundation
import LiteSafeCore
import SQLite
import TestSupport
import Testing

@Suite("Logical dumps")
struct LogicalDumpTests {
    @Test("stock sqlite3 loads the dump of the zoo into a database with the same content, pragmas and WAL mode")
    func zooRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let source = dir.path + "/zoo.db"
        try DumpZoo.make(at: source)
        let dump = try dumpText(of: source)
        let loaded = dir.path + "/loaded.db"
        try load(dump, into: loaded)
        let (copy, original) = (try DatabaseContent(loaded), try DatabaseContent(source))
        #expect(copy == original, "\(copy.differences(from: original))")
        #expect(try Fixtures.integrityCheck(loaded) == ["ok"])
        let pragmas = try Connection(path: loaded, options: [.readOnly])
        #expect(try pragmas.integer("PRAGMA user_version") == 7)
        #expect(try pragmas.integer("PRAGMA application_id") == 1234)
        #expect(try pragmas.journalMode() == "wal")
        // The full-text index works in the loaded copy, not only its rows.
        #expect(try pragmas.column("SELECT rowid FROM f WHERE f MATCH 'world'") == ["1"])
        #expect(try pragmas.column("SELECT rowid FROM fx WHERE fx MATCH 'gamma'") == ["2"])
    }

    // Stock .dump keeps what a plain database holds; the zoo's rowid gaps, NULs in text and
    // subnormal reals it does not (the round trip above checks those for ours).
    @Test("the dump and stock .dump load into databases with the same rows; stock .dump loses the pragmas")
    func sameAsStockDump() throws {
        let dir = try TemporaryDirectory()
        let source = dir.path + "/plain.db"
        try Fixtures.makeDatabase(at: source, journalMode: "wal", rows: 300)
        let db = try Connection(path: source, options: [.readWrite])
        try db.execute(
            """
            PRAGMA user_version=3; CREATE TABLE notes(id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT, score REAL);
            INSERT INTO notes(body, score) VALUES ('it''s', 0.1), ('two
            lines', -2.5e10), (NULL, NULL); CREATE INDEX notes_body ON notes(body);
            CREATE VIEW scored AS SELECT * FROM notes WHERE score > 0;
            """)
        let ours = dir.path + "/ours.db"
        let stock = dir.path + "/stock.db"
        try load(try dumpText(of: source), into: ours)
        let stockDump = try Subprocess.run("sqlite3", [source, ".dump"])
        try #require(stockDump.status == 0, "\(stockDump)")
        try load(stockDump.stdout, into: stock)
        let (fromOurs, fromStock) = (try DatabaseContent(ours), try DatabaseContent(stock))
        #expect(fromOurs.tables == fromStock.tables, "\(fromOurs.differences(from: fromStock))")
        #expect(try Connection(path: stock, options: [.readOnly]).integer("PRAGMA user_version") == 0)
    }

    @Test("the dump loads where SQLITE_DBCONFIG_DEFENSIVE is on; stock .dump of FTS5 does not")
    func loadsUnderDefensive() throws {
        let dir = try TemporaryDirectory()
        let source = dir.path + "/zoo.db"
        try DumpZoo.make(at: source)
        let ours = try Subprocess.run(
            "sqlite3", ["-bail", "-cmd", ".dbconfig defensive on", dir.path + "/ours.db"],
            input: try dumpText(of: source))
        #expect(ours.status == 0, "\(ours)")
        let stockDump = try Subprocess.run("sqlite3", [source, ".dump"]).stdout
        let stock = try Subprocess.run(
            "sqlite3", ["-bail", "-cmd", ".dbconfig defensive on", dir.path + "/stock.db"], input: stockDump)
        #expect(stock.status != 0, "stock .dump loaded under defensive: the test shows nothing")
    }

    @Test("the same content gives the same bytes, whatever history made it")
    func deterministic() throws {
        let dir = try TemporaryDirectory()
        let first = dir.path + "/first.db"
        let second = dir.path + "/second.db"
        for (path, order) in [(first, Array(0..<200)), (second, Array((0..<200).reversed()))] {
            let db = try Connection(path: path, options: [.readWrite, .create])
            try db.execute(
                "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE u(k TEXT, n REAL);"
                    + "CREATE TABLE w(k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID; BEGIN")
            for i in order {
                try db.execute("INSERT INTO t VALUES (\(i), 'row \(i)'); INSERT INTO w VALUES ('k\(i)', x'0\(i % 10)')")
            }
            try db.execute("COMMIT")
            // Rows in another order, then deleted and written again: other pages, other free list.
            try db.execute("INSERT INTO t VALUES (1000, 'gone'); DELETE FROM t WHERE id = 1000")
            try db.execute("INSERT INTO u(rowid, k, n) VALUES (1, 'a', 0.1), (2, 'b', 1e-300)")
            if path == second { try db.execute("VACUUM") }
        }
        let a = try dumpText(of: first)
        let b = try dumpText(of: second)
        #expect(a == b)
        #expect(try dumpText(of: first) == a)
    }

    // The writer moves money and logs each transfer in one transaction: every balance equals
    // its opening 1000 plus what the log says came in minus what went out, but only in a dump
    // whose tables were all read from one snapshot (accounts are dumped before transfers).
    @Test("a dump taken while the bank writer runs is one snapshot: balances match the transfer log")
    func consistentUnderWriter() throws {
        let dir = try TemporaryDirectory()
        let source = dir.path + "/bank.db"
        let writer = try BankWriter(database: source, mode: "wal", extraArguments: ["--pad", "2000"])
        defer { writer.stop() }
        var transfers: [Int64] = []
        for i in 0..<3 {
            let loaded = dir.path + "/loaded-\(i).db"
            try load(try dumpText(of: source), into: loaded)
            #expect(try Fixtures.bankTotal(loaded) == BankWriter.expectedTotal)
            let db = try Connection(path: loaded, options: [.readOnly])
            let mismatched = try db.integer(
                """
                SELECT count(*) FROM accounts a WHERE balance != 1000
                  - coalesce((SELECT sum(amount) FROM transfers WHERE src = a.id), 0)
                  + coalesce((SELECT sum(amount) FROM transfers WHERE dst = a.id), 0)
                """)
            #expect(mismatched == 0)
            transfers.append(try db.integer("SELECT count(*) FROM transfers"))
        }
        // The writer really was writing while the dumps were taken.
        #expect(transfers.last! > transfers.first!)
    }

    @Test("a database that does not exist is not created")
    func missingSource() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/missing.db"
        #expect(throws: SQLiteError.self) { try LogicalDump().write(databaseAt: path) { _ in } }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    private func dumpText(of path: String) throws -> Data {
        var bytes = Data()
        _ = try LogicalDump().write(databaseAt: path) { bytes.append(contentsOf: $0) }
        return bytes
    }

    private func load(_ dump: Data, into path: String) throws {
        let result = try Subprocess.run("sqlite3", ["-bail", path], input: dump)
        try #require(result.status == 0, "sqlite3 could not load the dump: \(result)")
    }
}
