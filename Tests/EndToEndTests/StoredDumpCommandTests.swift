import Foundation
import TestTools
import Testing

/// `litesafe dump NAME --store`: dumps kept in the store beside the snapshots, run as the built
/// binary and read back with the stock `age`, `zstd` and `sqlite3`.
@Suite("litesafe dump --store")
struct StoredDumpCommandTests {
    final class World {
        let dir: TemporaryDirectory
        let key: String
        let recipient: String
        var database: String { dir.path + "/data/app.db" }
        var backups: String { dir.path + "/backups" }
        var config: String { dir.path + "/litesafe.yml" }

        init(keepLast: Int = 2) throws {
            dir = try TemporaryDirectory("litesafe-e2e")
            key = dir.path + "/key.txt"
            let made = try Subprocess.run(Subprocess.litesafe, ["keygen", "-o", key])
            guard made.status == 0 else { throw CocoaError(.fileWriteUnknown) }
            recipient =
                made.errorOutput.components(separatedBy: "age1").last.map {
                    "age1" + $0.trimmingCharacters(in: .whitespacesAndNewlines)
                } ?? ""
            for folder in [backups, dir.path + "/data", dir.path + "/state"] {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                chmod(folder, 0o700)
            }
            try Fixtures.makeDatabase(at: database, journalMode: "wal", rows: 120)
            // What `sqlite3 .dump` loses, and a stored dump must keep.
            try Subprocess.run("sqlite3", [database, "PRAGMA user_version=7; PRAGMA application_id=1234"])
            try Data(
                """
                defaults:
                  destination: \(backups)
                  encryption:
                    recipients: ["\(recipient)"]
                  retention:
                    keep_last: \(keepLast)
                state_directory: \(dir.path)/state
                databases:
                  - name: app
                    path: \(database)

                """.utf8
            ).write(to: URL(fileURLWithPath: config))
            chmod(config, 0o600)
        }

        func litesafe(_ arguments: [String]) throws -> ProcessResult {
            try Subprocess.run(Subprocess.litesafe, arguments)
        }

        /// The data files in the database's folder with this extension, sorted.
        func files(ending suffix: String) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: backups + "/app")
                .filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }.sorted()
        }

        func pragma(_ path: String, _ name: String) throws -> String {
            try Subprocess.run("sqlite3", [path, "PRAGMA \(name)"]).output.trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
    }

    @Test("a stored dump is .sql.zst.age with a dump manifest; stock age -d | zstd -d | sqlite3 gives the source back")
    func stockToolsReadIt() throws {
        let w = try World()
        let stored = try w.litesafe(["dump", "--config", w.config, "app", "--store"])
        #expect(stored.status == 0, "\(stored)")
        let dumps = try w.files(ending: ".sql.zst.age")
        #expect(dumps.count == 1)
        let dump = try #require(dumps.first)
        #expect(stored.output.contains("app: \(w.backups)/app/\(dump) (dump, "), "\(stored)")
        #expect(try w.files(ending: ".sqlite.zst.age").isEmpty, "a dump takes no snapshot")

        let manifestPath = w.backups + "/app/" + dump.replacingOccurrences(of: ".sql.zst.age", with: ".manifest.json")
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath)))
                as? [String: Any])
        #expect(manifest["kind"] as? String == "dump")
        #expect(manifest["encryption"] as? String == "age")
        #expect(manifest["file"] as? String == dump)

        let zst = w.dir.path + "/app.sql.zst"
        let sql = w.dir.path + "/app.sql"
        let decrypted = try Subprocess.run("age", ["-d", "-i", w.key, "-o", zst, w.backups + "/app/" + dump])
        #expect(decrypted.status == 0, "\(decrypted)")
        let decompressed = try Subprocess.run("zstd", ["-q", "-d", zst, "-o", sql])
        #expect(decompressed.status == 0, "\(decompressed)")
        #expect(try Fixtures.sha256(sql) == manifest["plaintext_sha256"] as? String)
        let loaded = w.dir.path + "/loaded.db"
        let load = try Subprocess.run(
            "sqlite3", ["-bail", loaded], input: try Data(contentsOf: URL(fileURLWithPath: sql)))
        #expect(load.status == 0, "\(load)")
        #expect(try w.pragma(loaded, "user_version") == "7")
        #expect(try w.pragma(loaded, "application_id") == "1234")
        #expect(try w.pragma(loaded, "journal_mode") == "wal")
        let diff = try w.litesafe(["diff", w.database, loaded])
        #expect(diff.status == 0, "the loaded dump differs from the source: \(diff)")
    }

    @Test(
        "list shows the kind; restore picks the snapshot unless --dump; verify scrubs both; each kind keeps its own keep_last"
    )
    func listRestoreVerifyRetention() throws {
        let w = try World(keepLast: 2)
        #expect(try w.litesafe(["backup", "--config", w.config, "app"]).status == 0)
        for _ in 0..<3 {
            let stored = try w.litesafe(["dump", "--config", w.config, "app", "--store"])
            #expect(stored.status == 0, "\(stored)")
        }
        // keep_last 2: two dumps; the one snapshot is not pushed out by three newer dumps.
        #expect(try w.files(ending: ".sql.zst.age").count == 2)
        let snapshot = try #require(try w.files(ending: ".sqlite.zst.age").first)
        #expect(try w.files(ending: ".sqlite.zst.age").count == 1)

        let list = try w.litesafe(["list", "--config", w.config])
        #expect(list.status == 0, "\(list)")
        let rows = list.output.split(separator: "\n").map(String.init)
        #expect(rows.first?.hasPrefix("DATABASE  KIND") == true, "\(list.output)")
        #expect(rows.filter { $0.hasPrefix("app       dump ") }.count == 2, "\(list.output)")
        #expect(rows.filter { $0.hasPrefix("app       snapshot ") }.count == 1, "\(list.output)")
        let json = try w.litesafe(["list", "--config", w.config, "--json"])
        let objects = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [[String: Any]])
        #expect(objects.compactMap { $0["kind"] as? String }.sorted() == ["dump", "dump", "snapshot"])

        // The dumps are newer, but a restore takes the newest snapshot unless asked.
        let plain = w.dir.path + "/plain.db"
        let restored = try w.litesafe(["restore", "--config", w.config, "app", "--identity", w.key, "-o", plain])
        #expect(restored.status == 0, "\(restored)")
        #expect(restored.output.contains(snapshot), "\(restored)")
        let fromDump = w.dir.path + "/from-dump.db"
        let newestDump = try #require(try w.files(ending: ".sql.zst.age").last)
        let dumped = try w.litesafe([
            "restore", "--config", w.config, "app", "--dump", "--identity", w.key, "-o", fromDump,
        ])
        #expect(dumped.status == 0, "\(dumped)")
        #expect(dumped.output.contains(newestDump), "\(dumped)")
        #expect(dumped.output.contains("WAL mode"))
        #expect(!dumped.errorOutput.contains("no manifest"), "the manifest's hash was checked")
        #expect(try w.litesafe(["diff", w.database, fromDump]).status == 0)
        #expect(try w.pragma(fromDump, "user_version") == "7")

        let verified = try w.litesafe(["verify", "--config", w.config])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.output.contains(newestDump), "\(verified)")
        #expect(verified.output.contains(snapshot), "\(verified)")

        // A stored dump whose bytes changed fails its restore with the hash named, OUT untouched.
        let path = w.backups + "/app/" + newestDump
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let damaged = w.dir.path + "/damaged.db"
        let refused = try w.litesafe([
            "restore", "--config", w.config, "app", "--dump", "--identity", w.key, "-o", damaged,
        ])
        #expect(refused.status == 1, "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: damaged))
        let scrub = try w.litesafe(["verify", "--config", w.config])
        #expect(scrub.status == 1)
        #expect(scrub.output.contains(newestDump) || scrub.errorOutput.contains(newestDump), "\(scrub)")
    }

    @Test("--store goes with a configured name only, and with neither -o nor --force")
    func usage() throws {
        let w = try World()
        let withDatabase = try w.litesafe(["dump", "--database", w.database, "--store"])
        #expect(withDatabase.status == 64)
        #expect(withDatabase.errorOutput.contains("--store stores a configured database's dump"))
        let withOutput = try w.litesafe(["dump", "--config", w.config, "app", "--store", "-o", w.dir.path + "/x.sql"])
        #expect(withOutput.status == 64)
        #expect(!FileManager.default.fileExists(atPath: w.dir.path + "/x.sql"))
        #expect(!FileManager.default.fileExists(atPath: w.backups + "/app"))
    }
}
