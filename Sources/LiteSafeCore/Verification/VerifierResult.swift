/// The verdict on one backup (or on a database with none), as `litesafe verify` prints it.
public struct VerifierResult: Sendable {
    public enum Outcome: Sendable {
        /// It matched; `plaintextSize` is the restored size after a restore test.
        case passed(plaintextSize: Int64?)
        case failed(any Error)
    }

    public let database: String
    /// Nil when the database had no backup to check, or they could not be listed.
    public let backup: StoredBackup?
    /// Whether this was a full restore test rather than a scrub.
    public let restoreTested: Bool
    public let outcome: Outcome

    public init(database: String, backup: StoredBackup?, restoreTested: Bool, outcome: Outcome) {
        self.database = database
        self.backup = backup
        self.restoreTested = restoreTested
        self.outcome = outcome
    }

    public var passed: Bool { if case .passed = outcome { true } else { false } }

    /// `app/app-20261126T120003.123456Z.sqlite.zst.age`, or `app` when there is no backup.
    public var subject: String { backup.map { database + "/" + $0.manifest.file } ?? database }

    /// One line: `SUBJECT: ok (…)` or `SUBJECT: FAILED: reason`.
    public var line: String {
        switch outcome {
        case .passed(let size?): "\(subject): ok (restored \(ByteCount(size)); SHA-256 and integrity_check ok)"
        case .passed(nil): "\(subject): ok (stored SHA-256 matches)"
        case .failed(let error): "\(subject): FAILED: \(error)"
        }
    }
}
