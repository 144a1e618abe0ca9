/// The verdict on one backup (or on a database with none).
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

}
