import Foundation
import TestTools
import Testing

/// `litesafe export postgres --dry-run`, run as the built binary: what it says about a type
/// chosen on the command line (the core only records the choice; the command line words it).
@Suite("litesafe export postgres --dry-run")
struct ExportCommandTests {
    let dir: TemporaryDirectory
    var database: String { dir.path + "/app.db" }

    init() throws {
        dir = try TemporaryDirectory("litesafe-e2e")
        let made = try Subprocess.run(
            "sqlite3", [database, "CREATE TABLE t(id INTEGER PRIMARY KEY, c INTEGER); INSERT INTO t(c) VALUES (1);"])
        try #require(made.status == 0, "\(made)")
    }

    @Test("a --type override is shown as it was given; one naming no column is refused in its words")
    func typeOverride() throws {
        let planned = try Subprocess.run(
            Subprocess.litesafe, ["export", "postgres", "--database", database, "--dry-run", "--type", "t.c=text"])
        #expect(planned.status == 0, "\(planned)")
        #expect(planned.output.contains("  c INTEGER → text: --type t.c=text\n"), "\(planned)")
        let refused = try Subprocess.run(
            Subprocess.litesafe, ["export", "postgres", "--database", database, "--dry-run", "--type", "t.nope=text"])
        #expect(refused.status == 1, "\(refused)")
        #expect(
            refused.errorOutput.contains(
                "litesafe: error: --type t.nope: there is no such table.column in the database"),
            "\(refused)")
    }
}
