import Foundation
import LiteSafeCore

extension VerifierResult {
    /// `app/app-20261126T120003.123456Z.sqlite.zst.age`, or `app` when there is no backup.
    public var subject: String { backup.map { database + "/" + $0.manifest.file } ?? database }

    /// One line, as `litesafe verify` prints it: `SUBJECT: ok (…)` or `SUBJECT: FAILED: reason`.
    public var line: String {
        switch outcome {
        case .passed(let size?): "\(subject): ok (restored \(ByteCount(size)); SHA-256 and integrity_check ok)"
        case .passed(nil): "\(subject): ok (stored SHA-256 matches)"
        case .quickPassed(true): "\(subject): ok (stored size and the store's SHA-256 match; nothing read)"
        case .quickPassed(false): "\(subject): ok (stored size matches; nothing read)"
        case .failed(let error): "\(subject): FAILED: \(ErrorMessage.describe(error))"
        }
    }

    /// A JSON array, one object per result: `database`, `file` and `data_path` (null without a
    /// backup), `mode` (`scrub`, `quick` or `restore-test`), `ok`, `checksum_compared` after a quick
    /// check, and `error` when it failed.
    public static func json(_ results: [VerifierResult]) throws -> String {
        let objects = results.map { result -> [String: Any] in
            var object: [String: Any] = [
                "database": result.database,
                "file": result.backup.map { $0.manifest.file as Any } ?? NSNull(),
                "data_path": result.backup.map { $0.dataLocation as Any } ?? NSNull(),
                "mode": result.restoreTested ? "restore-test" : result.quickChecked ? "quick" : "scrub",
                "ok": result.passed,
            ]
            switch result.outcome {
            case .passed(let size?): object["plaintext_size"] = size
            case .passed(nil): break
            case .quickPassed(let compared): object["checksum_compared"] = compared
            case .failed(let error): object["error"] = ErrorMessage.describe(error)
            }
            return object
        }
        let data = try JSONSerialization.data(
            withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
