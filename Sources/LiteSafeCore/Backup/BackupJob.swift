import Foundation

/// Everything one backup of one database needs to know.
public struct BackupJob: Sendable {
    public var name: String
    public var sourcePath: String
    public var store: any BackupStore
    /// A private folder (0700) for the snapshot; never next to the source.
    public var stagingDirectory: String
    public var checkpoint: CheckpointMode
    public var compression: Compression
    public var encryption: Encryption
    public var integrityCheck: IntegrityCheck
    public var busyTimeout: Duration
    /// What to prune right after each successful backup, under the same lock; nil: never prune.
    public var retention: RetentionPolicy?
    /// The zone calendar retention (days, weeks, …) is read in.
    public var timeZone: TimeZone
    /// What to store: a snapshot of the database file, or a logical SQL dump of it.
    public var kind: BackupKind = .snapshot

    public init(
        name: String, sourcePath: String, store: any BackupStore, stagingDirectory: String,
        checkpoint: CheckpointMode = .passive, compression: Compression = .default, encryption: Encryption,
        integrityCheck: IntegrityCheck = .quick, busyTimeout: Duration = .seconds(5),
        retention: RetentionPolicy? = nil, timeZone: TimeZone = TimeZone.utc
    ) {
        self.name = name
        self.sourcePath = sourcePath
        self.store = store
        self.stagingDirectory = stagingDirectory
        self.checkpoint = checkpoint
        self.compression = compression
        self.encryption = encryption
        self.integrityCheck = integrityCheck
        self.busyTimeout = busyTimeout
        self.retention = retention
        self.timeZone = timeZone
    }

    public var busyTimeoutMilliseconds: Int { busyTimeout.milliseconds }
}
