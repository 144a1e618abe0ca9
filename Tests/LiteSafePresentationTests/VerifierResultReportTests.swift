import Foundation
import LiteSafeCore
import LiteSafePresentation
import TestSupport
import Testing

/// What `litesafe verify` prints: a line per backup, or JSON.
@Suite struct VerifierResultReportTests {
    let newer = RetentionFixture.backup(RetentionFixture.date("2026-11-26T12:00:00Z"))
    let older = RetentionFixture.backup(RetentionFixture.date("2026-11-26T06:00:00Z"))

    var damaged: BackupError {
        .hashMismatch(path: older.dataLocation, expected: String(repeating: "a", count: 64), actual: "b")
    }

    @Test("a line per backup: ok, FAILED with the error's full text, and a database with none")
    func lines() {
        let passed = VerifierResult(
            database: "app", backup: newer, restoreTested: false, outcome: .passed(plaintextSize: nil))
        let restored = VerifierResult(
            database: "app", backup: newer, restoreTested: true, outcome: .passed(plaintextSize: 4096))
        let failed = VerifierResult(database: "app", backup: older, restoreTested: false, outcome: .failed(damaged))
        let none = VerifierResult(
            database: "other", backup: nil, restoreTested: false,
            outcome: .failed(BackupError.noBackups(database: "other", folder: "/backups/other")))
        #expect(passed.line == "app/\(newer.manifest.file): ok (stored SHA-256 matches)")
        #expect(restored.line == "app/\(newer.manifest.file): ok (restored 4.1 kB; SHA-256 and integrity_check ok)")
        #expect(failed.line == "app/\(older.manifest.file): FAILED: \(ErrorMessage.describe(damaged))")
        #expect(failed.line.hasPrefix("app/\(older.manifest.file): FAILED: \(older.dataLocation) does not match"))
        #expect(
            none.line
                == "other: FAILED: no backups of 'other' in /backups/other; run `litesafe list` to see what is there")
    }

    @Test("JSON: ok, mode and the error's full text")
    func json() throws {
        let results = [
            VerifierResult(database: "app", backup: newer, restoreTested: false, outcome: .passed(plaintextSize: nil)),
            VerifierResult(database: "app", backup: older, restoreTested: false, outcome: .failed(damaged)),
        ]
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(VerifierResult.json(results).utf8)) as? [[String: Any]])
        #expect(json.map { $0["ok"] as? Bool } == [true, false])
        #expect(json[1]["error"] as? String == ErrorMessage.describe(damaged))
        #expect(json[0]["mode"] as? String == "scrub")
        #expect(json[1]["data_path"] as? String == older.dataLocation)
    }
}
