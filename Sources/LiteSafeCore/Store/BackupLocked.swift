import Foundation

/// What `BackupStore.delete` throws for a backup the store itself keeps from deletion until a
/// date (a retention lock the store was configured to set when it was written): nothing of it
/// was deleted, and a prune keeps it, saying until when.
public struct BackupLocked: Error, Sendable, Equatable, CustomStringConvertible {
    /// The backup's manifest, as the store names it.
    public let location: String
    /// The first moment it may be deleted.
    public let until: Date

    public init(location: String, until: Date) {
        self.location = location
        self.until = until
    }

    public var description: String {
        "\(location) is locked against deletion until \(BackupName.iso8601Seconds(until)); it was kept"
    }
}
