/// One database to back up, with the `defaults` it did not override already applied.
public typealias DatabaseConfiguration = Configuration.Database

extension Configuration {
    /// One database to back up, with the `defaults` it did not override already applied.
    public struct Database: Sendable, Equatable {
        /// Names the backup folder; unique and made of `[A-Za-z0-9._-]`.
        public var name: String
        /// The absolute path of the live SQLite database file.
        public var path: String
        /// Every store this database's backups go to, in the order `stores:` lists them (one,
        /// named `destination`, for a `destination:`); never empty.
        public var stores: [Configuration.NamedStore]
        /// The first of `stores`: where commands look for backups unless told `--store`.
        public var store: StoreLocation {
            get { stores[0].location }
            set { stores[0].location = newValue }
        }
        public var schedule: Schedule
        /// The most a start is delayed (by a fixed share chosen from the name), so databases on one
        /// schedule do not all start together.
        public var jitter: Duration
        public var checkpoint: CheckpointMode
        public var compression: Compression
        /// Whole files, or an incremental page store (`format: pages`).
        public var format: BackupFormat
        public var integrityCheck: IntegrityCheck
        /// How long SQLite waits for a lock before giving up on a step.
        public var busyTimeout: Duration
        public var encryption: Encryption
        public var retention: RetentionPolicy
        /// When to store a logical SQL dump beside the snapshots (`dump_schedule`); nil: never.
        public var dumpSchedule: Schedule?

        public static let defaultSchedule = Schedule.every(.seconds(3_600))
        public static let defaultJitter = Duration.zero
        public static let defaultCheckpoint = CheckpointMode.passive
        public static let defaultCompression = Compression.default
        public static let defaultIntegrityCheck = IntegrityCheck.quick
        public static let defaultBusyTimeout = Duration.seconds(5)

        public init(
            name: String,
            path: String,
            store: StoreLocation,
            schedule: Schedule = Database.defaultSchedule,
            jitter: Duration = Database.defaultJitter,
            checkpoint: CheckpointMode = Database.defaultCheckpoint,
            compression: Compression = Database.defaultCompression,
            integrityCheck: IntegrityCheck = Database.defaultIntegrityCheck,
            busyTimeout: Duration = Database.defaultBusyTimeout,
            encryption: Encryption,
            retention: RetentionPolicy = .default,
            stores: [Configuration.NamedStore]? = nil,
            dumpSchedule: Schedule? = nil,
            format: BackupFormat = .file
        ) {
            self.format = format
            self.name = name
            self.path = path
            self.stores =
                stores ?? [Configuration.NamedStore(name: Configuration.NamedStore.destinationName, location: store)]
            self.schedule = schedule
            self.jitter = jitter
            self.checkpoint = checkpoint
            self.compression = compression
            self.integrityCheck = integrityCheck
            self.busyTimeout = busyTimeout
            self.encryption = encryption
            self.retention = retention
            self.dumpSchedule = dumpSchedule
        }

        /// Where this database's backups live, as messages name it: `<destination>/<name>`
        /// (in the first store).
        public var destination: String { store.description(of: name) }

        /// The folder holding the live database, which backups must never be inside.
        public var sourceDirectory: String { ConfigurationPath.parent(of: path) }
    }
}
