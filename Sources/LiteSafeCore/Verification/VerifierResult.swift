/// The verdict on one backup (or on a database with none).
public struct VerifierResult: Sendable {
    public enum Outcome: Sendable {
        /// It matched; `plaintextSize` is the restored size after a restore test.
        case passed(plaintextSize: Int64?)
        /// A quick check matched the stored size, and the stored SHA-256 too when the store
        /// keeps one (`checksumCompared`), without reading the backup.
        case quickPassed(checksumCompared: Bool)
        case failed(any Error)
    }

    public let database: String
    /// Nil when the database had no backup to check, or they could not be listed.
    public let backup: StoredBackup?
    /// Whether this was a full restore test rather than a scrub.
    public let restoreTested: Bool
    public let outcome: Outcome
    let quick: Bool

    public init(database: String, backup: StoredBackup?, restoreTested: Bool, outcome: Outcome, quick: Bool = false) {
        self.quick = quick
        self.database = database
        self.backup = backup
        self.restoreTested = restoreTested
        self.outcome = outcome
    }

    public var passed: Bool {
        switch outcome {
        case .passed, .quickPassed: true
        case .failed: false
        }
    }

    /// Whether this was a quick check (sizes and the store's own checksums, nothing read).
    public var quickChecked: Bool {
        switch outcome {
        case .quickPassed: true
        case .passed: false
        case .failed: quick
        }
    }

}
