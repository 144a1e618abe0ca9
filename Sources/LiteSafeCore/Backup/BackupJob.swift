import Foundation

/// Everything one backup of one database needs to know.
public struct BackupJob: Sendable {
    public var name: String
    public var sourcePath: String
    /// Every store the backup goes to, each with the retention it prunes by there; never empty.
    /// The backup is taken once and the same bytes and manifest go to each.
    public var targets: [Target]
    /// A private folder (0700) for the snapshot; never next to the source.
    public var stagingDirectory: String
    public var checkpoint: CheckpointMode
    public var compression: Compression
    public var encryption: Encryption
    public var integrityCheck: IntegrityCheck
    public var busyTimeout: Duration
    /// The zone calendar retention (days, weeks, …) is read in.
    public var timeZone: TimeZone
    /// What to store: a snapshot of the database file, or a logical SQL dump of it.
    public var kind: BackupKind = .snapshot
    /// Whole files, or an incremental page store (`format: pages`).
    public var format: BackupFormat = .file
    /// Where the machine keeps what a page store's next backup needs and cannot read back
    /// from the store without an identity: the page key and the last snapshot's page table.
    public var pageStateDirectory: String?
    /// How the backup shares the CPU with the application (`backup_cpu_priority`), applied when
    /// the engine is asked to (`BackupEngine.lowersPriority`).
    public var cpuPriority: CPUPriority = .idle
    /// Whether the backup first removes what interrupted runs left in each store (on S3 a
    /// listing of the database's objects and of its unfinished uploads). The daemon skips it
    /// while it knows the stores clean: after its start-up cleanup and its own successful runs.
    public var removesLeftovers = true

    public init(
        name: String, sourcePath: String, store: any BackupStore, stagingDirectory: String,
        checkpoint: CheckpointMode = .passive, compression: Compression = .default, encryption: Encryption,
        integrityCheck: IntegrityCheck = .quick, busyTimeout: Duration = .seconds(5),
        retention: RetentionPolicy? = nil, timeZone: TimeZone = TimeZone.utc
    ) {
        self.name = name
        self.sourcePath = sourcePath
        self.targets = [Target(name: store.location, store: store, retention: retention)]
        self.stagingDirectory = stagingDirectory
        self.checkpoint = checkpoint
        self.compression = compression
        self.encryption = encryption
        self.integrityCheck = integrityCheck
        self.busyTimeout = busyTimeout
        self.timeZone = timeZone
    }

    public var busyTimeoutMilliseconds: Int { busyTimeout.milliseconds }

    /// One store a backup goes to.
    public struct Target: Sendable {
        /// How logs, results and status name the store (`offsite`).
        public var name: String
        public var store: any BackupStore
        /// What to prune in this store right after each successful backup, under the same lock;
        /// nil: never prune.
        public var retention: RetentionPolicy?

        public init(name: String, store: any BackupStore, retention: RetentionPolicy? = nil) {
            self.name = name
            self.store = store
            self.retention = retention
        }
    }

    /// The first target's store: where a single-store job's backup goes.
    public var store: any BackupStore {
        get { targets[0].store }
        set { targets[0].store = newValue }
    }

    /// The first target's retention.
    public var retention: RetentionPolicy? {
        get { targets[0].retention }
        set { targets[0].retention = newValue }
    }
}
