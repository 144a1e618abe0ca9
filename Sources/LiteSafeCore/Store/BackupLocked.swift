import Foundation

/// What `BackupStore.delete` throws for a backup the store itself keeps from deletion until a
/// date (a retention lock the store was configured to set when it was written): nothing of it
/// was deleted, and a prune keeps it, saying until when.
public struct BackupLocked: Error, Sendable, Equatable, CustomStringConvertible {
    /// The backup's manifest, as the store names it.
    public let location: String
    /// The first moment it may be deleted; nil while a hold with no end date (a legal hold)
    /// keeps it, until someone lifts that.
    public let until: Date?

    public init(location: String, until: Date?) {
        self.location = location
        self.until = until
    }

    /// `locked until 2026-12-10T15:20:06Z`, or `locked with no end date (a legal hold)`.
    public var state: String {
        until.map { "locked until \(BackupName.iso8601Seconds($0))" } ?? "locked with no end date (a legal hold)"
    }

    public var description: String { "\(location) is \(state) against deletion; it was kept" }
}
