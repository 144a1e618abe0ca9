import Foundation
import TestTools
import Testing

@Suite("litesafe verify")
struct VerifyCommandTests {
    @Test("a scrub prints one ok line per backup; a flipped bit is FAILED, names the file and exits 1")
    func scrub() throws {
        let w = try StoreWorld()
        try w.backUp(times: 2)
        let all = try w.listed()
        let clean = try w.litesafe(["verify", "--from", w.backups])
        #expect(clean.status == 0, "\(clean)")
        #expect(
            clean.output == """
                app/\(all[0]): ok (stored SHA-256 matches)
                app/\(all[1]): ok (stored SHA-256 matches)
                verified 2 backups: 2 ok

                """)

        let damaged = w.folder + "/" + all[1]
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: damaged)))
        bytes[bytes.count / 2] ^= 0x04
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let result = try w.litesafe(["verify", "--config", w.config, "app"])
        #expect(result.status == 1, "\(result)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines[0] == "app/\(all[0]): ok (stored SHA-256 matches)")
        #expect(lines[1].hasPrefix("app/\(all[1]): FAILED: \(damaged) does not match its manifest"))
        #expect(lines[2] == "verified 2 backups: 1 ok, 1 FAILED")

        let json = try w.litesafe(["verify", "--from", w.backups, "--json"])
        #expect(json.status == 1)
        let objects = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [[String: Any]])
        #expect(objects.map { $0["ok"] as? Bool } == [true, false])
        #expect(objects.map { $0["file"] as? String } == all)
        #expect((objects[1]["error"] as? String)?.contains(damaged) == true)
    }

    @Test("a restore test with the right key passes and writes nothing outside its private folder")
    func restoreTest() throws {
        let w = try StoreWorld()
        try w.backUp(times: 2)
        let all = try w.listed()
        let before = try FileManager.default.subpathsOfDirectory(atPath: w.dir.path).sorted()
        let result = try w.litesafe(
            ["verify", "--from", w.backups, "--identity", w.key], environment: ["TMPDIR": w.dir.path + "/tmp"])
        #expect(result.status == 0, "\(result)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        for (line, file) in zip(lines, all) {
            #expect(line.hasPrefix("app/\(file): ok (restored "))
            #expect(line.hasSuffix("; SHA-256 and integrity_check ok)"))
        }
        #expect(try FileManager.default.subpathsOfDirectory(atPath: w.dir.path).sorted() == before)
    }

    @Test("a restore test with the wrong key fails with age's error and exits 1")
    func wrongKey() throws {
        let w = try StoreWorld()
        try w.backUp(times: 1)
        let other = w.dir.path + "/other-key.txt"
        #expect(try w.litesafe(["keygen", "-o", other]).status == 0)
        let result = try w.litesafe(
            ["verify", "--from", w.backups, "--identity", other], environment: ["TMPDIR": w.dir.path + "/tmp"])
        #expect(result.status == 1, "\(result)")
        #expect(result.output.contains(": FAILED: no identity matches this file"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path + "/tmp").isEmpty)
    }

    @Test("a database with no backups fails verification")
    func noBackups() throws {
        let w = try StoreWorld()
        let result = try w.litesafe(["verify", "--config", w.config])
        #expect(result.status == 1, "\(result)")
        #expect(result.output.hasPrefix("app: FAILED: no backups of 'app'"))
    }
}
