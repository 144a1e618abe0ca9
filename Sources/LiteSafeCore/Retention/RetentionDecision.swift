/// What pruning does with one backup, and why.
public struct RetentionDecision: Sendable, Equatable {
    public enum Action: String, Sendable {
        case keep
        case delete
    }

    public let backup: StoredBackup
    public let action: Action
    /// Why: every rule that keeps it (`last 1/3`, `daily 2026-11-25`, `weekly 2026-W48`, …),
    /// or why it goes (`no rule keeps it`, `check failed: older than …`).
    public let reasons: [String]

    public init(backup: StoredBackup, action: Action, reasons: [String]) {
        self.backup = backup
        self.action = action
        self.reasons = reasons
    }

    public var isKept: Bool { action == .keep }
}

extension Manifest {
    /// Whether the snapshot passed its check (`quick_check ok`, `integrity_check ok`); only
    /// such backups count toward retention.
    public var passedCheck: Bool { check.hasSuffix(" ok") }
}
