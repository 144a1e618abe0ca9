import Age
import Foundation
import LiteSafeCore
import Logging
import SQLite
import TestSupport
import Testing

@Suite("Restore from a dump")
struct DumpRestoreTests {
    let logger = Logger(label: "test")

    private func restore(_ file: String, to out: String, identities: [any AgeIdentity] = []) throws -> RestoreResult {
        try RestoreEngine().restore(
            .file(path: file, manifest: nil), identities: identities, to: out, force: false, logger: logger)
    }

    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test("our dump restores the zoo whole: content, user_version, application_id, WAL mode")
    func ours() throws {
        let dir = try TemporaryDirectory()
        let source = dir.path + "/zoo.db"
        try DumpZoo.make(at: source)
        let dump = dir.path + "/zoo.sql"
        var bytes = Data()
        _ = try LogicalDump().write(databaseAt: source) { bytes.append(contentsOf: $0) }
        try bytes.write(to: URL(fileURLWithPath: dump))
        let out = dir.path + "/restored.db"
        let result = try restore(dump, to: out)
        #expect(result.walMode)
        let (copy, original) = (try DatabaseContent(out), try DatabaseContent(source))
        #expect(copy == original, "\(copy.differences(from: original))")
        let db = try Connection(path: out, options: [.readOnly])
        #expect(try db.integer("PRAGMA user_version") == 7)
        #expect(try db.integer("PRAGMA application_id") == 1234)
        #expect(try db.journalMode() == "wal")
        #expect(try db.column("SELECT rowid FROM f WHERE f MATCH 'world'") == ["1"])
    }

    @Test("a stock sqlite3 .dump, compressed and encrypted with the stock zstd and age, restores")
    func stockCompressedEncrypted() throws {
        let dir = try TemporaryDirectory()
        let source = dir.path + "/zoo.db"
        try DumpZoo.make(at: source)
        let identity = X25519Identity.generate()
        let sealed = dir.path + "/zoo.sql.zst.age"
        let made = try Subprocess.run(
            "sh",
            [
                "-c", "sqlite3 \"$1\" .dump | zstd -q -c | age -r \"$2\" > \"$3\"", "sh", source,
                identity.recipient.description, sealed,
            ])
        try #require(made.status == 0, "\(made)")
        let out = dir.path + "/restored.db"
        _ = try restore(sealed, to: out, identities: [identity])
        #expect(try Fixtures.integrityCheck(out) == ["ok"])
        let (copy, original) = (try DatabaseContent(out), try DatabaseContent(source))
        #expect(copy.tables["st"] == original.tables["st"])
        // Text that is not UTF-8 (stock .dump writes its bytes raw) comes back byte for byte.
        #expect(copy.tables["plain"]?.contains { $0.last == .text([0xFF]) } == true)
        #expect(copy.tables["w"] == original.tables["w"])
        #expect(
            try Connection(path: out, options: [.readOnly]).column("SELECT rowid FROM f WHERE f MATCH 'world'") == ["1"]
        )
    }

    @Test(
        "a hostile or damaged dump is refused and nothing is written",
        arguments: [
            (
                "attach", "BEGIN TRANSACTION;\nATTACH '%TARGET%' AS x;\nCREATE TABLE x.t(a);\nCOMMIT;\n",
                "ATTACH or VACUUM INTO"
            ),
            (
                "vacuum into", "BEGIN TRANSACTION;\nCREATE TABLE t(a);\nCOMMIT;\nVACUUM INTO '%TARGET%';\n",
                "ATTACH or VACUUM INTO"
            ),
            ("load_extension", "BEGIN TRANSACTION;\nSELECT load_extension('%TARGET%');\nCOMMIT;\n", "load_extension"),
            (
                "a pragma", "BEGIN TRANSACTION;\nPRAGMA temp_store_directory='%TARGET%';\nCOMMIT;\n",
                "temp_store_directory"
            ),
            (
                "a NUL byte",
                "BEGIN TRANSACTION;\nCREATE TABLE t(a);\nINSERT INTO t VALUES(1);\0\nINSERT INTO t VALUES(2);\nCOMMIT;\n",
                "NUL byte"
            ),
            (
                "cut short", "BEGIN TRANSACTION;\nCREATE TABLE t(a);\nINSERT INTO t VALUES(1);\n",
                "before its final COMMIT"
            ),
            (
                "cut mid-statement", "BEGIN TRANSACTION;\nCREATE TABLE t(a);\nINSERT INTO t VALUES('abc",
                "middle of a statement"
            ),
            (
                "broken foreign keys",
                "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE p(id INTEGER PRIMARY KEY);\n"
                    + "CREATE TABLE c(p INTEGER REFERENCES p(id));\nINSERT INTO c VALUES(9);\nCOMMIT;\n",
                "foreign keys"
            ),
        ])
    func hostile(name: String, text: String, expected: String) throws {
        let dir = try TemporaryDirectory()
        let target = dir.path + "/target.db"
        let dump = dir.path + "/hostile.sql"
        try write("-- a dump\n" + text.replacingOccurrences(of: "%TARGET%", with: target), to: dump)
        let out = dir.path + "/out.db"
        do {
            _ = try restore(dump, to: out)
            Issue.record("\(name): restored")
        } catch {
            #expect("\(error)".contains(expected), "\(name): \(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: out), "\(name): OUT exists")
        #expect(!FileManager.default.fileExists(atPath: target), "\(name): the other file was written")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["hostile.sql"])
    }
}
