import Foundation

/// What the daemon knows about its databases, as it keeps it in `<state_directory>/state.json`
/// for `litesafe status` and for itself across restarts.
///
/// The daemon rewrites the file (atomically) after every backup, failure and verification, at
/// start, reload and stop, and at least every `heartbeat` in between, so a file older than
/// `staleAfter` means a daemon that is no longer making progress. The JSON keys are snake_case
/// forms of the property names, and stable: scripts read them (`litesafe status --json`).
public struct DaemonState: Codable, Sendable, Equatable {
    /// The format's version; a reader refuses a newer one rather than misread it.
    public var version: Int
    /// The daemon's process id, to tell whether it still runs.
    public var pid: Int32
    /// When the daemon started.
    public var started: Date
    /// When the daemon last wrote the file.
    public var updated: Date
    /// When the daemon stopped cleanly; nil while it runs, or if it died without stopping.
    public var stopped: Date?
    /// The configuration file the daemon runs.
    public var configFile: String
    /// One entry per configured database, sorted by name.
    public var databases: [Database]
    /// The scheduled verification, or nil when `verify_schedule` is not set.
    public var verification: VerificationSchedule?

    public static let currentVersion = 1
    /// How often a running daemon rewrites the file even when nothing happened.
    public static let heartbeat = Duration.seconds(300)
    /// How old the file of a running daemon may get before `litesafe status` calls it stale:
    /// a few missed heartbeats.
    public static let staleAfter = Duration.seconds(900)

    public init(
        pid: Int32, started: Date, updated: Date, configFile: String, databases: [Database] = [],
        verification: VerificationSchedule? = nil
    ) {
        self.version = Self.currentVersion
        self.pid = pid
        self.started = started
        self.updated = updated
        self.configFile = configFile
        self.databases = databases
        self.verification = verification
    }

    /// The entry of `name`, if there is one.
    public func database(named name: String) -> Database? {
        databases.first { $0.name == name }
    }

    /// Changes the entry of `name`, adding an empty one (in name order) if there is none.
    public mutating func update(_ name: String, _ change: (inout Database) -> Void) {
        if let index = databases.firstIndex(where: { $0.name == name }) {
            change(&databases[index])
        } else {
            var entry = Database(name: name)
            change(&entry)
            databases.append(entry)
            databases.sort { $0.name < $1.name }
        }
    }

    /// What the daemon knows about one database.
    public struct Database: Codable, Sendable, Equatable {
        public var name: String
        /// The newest backup that succeeded (from the store at start, then each success).
        public var lastSuccess: Backup?
        /// The latest failure, kept after a later success so its reason can still be read.
        public var lastFailure: Failure?
        /// Failures since the latest success: non-zero means the database is failing now.
        public var consecutiveFailures: Int
        /// Every failure recorded in this state file (a counter for metrics; survives restarts).
        public var failuresTotal: Int
        /// Whether a backup of it is running now.
        public var running: Bool
        /// When its next backup is due.
        public var nextRun: Date?
        /// How many backups the store holds, as of the latest backup (after its prune).
        public var retained: Int?
        /// The latest verification of its backups.
        public var lastVerification: Verification?
        /// When a verification of its backups last passed.
        public var lastVerifySuccess: Date?
        /// How each of its stores fared, for a database backed up to several; nil for one store.
        public var stores: [Store]?
        /// The newest stored dump that succeeded (`dump_schedule`), from the store at start, then each success.
        public var lastDump: Backup?
        /// The latest scheduled dump that failed, kept after a later success.
        public var lastDumpFailure: Failure?

        public init(name: String) {
            self.name = name
            consecutiveFailures = 0
            failuresTotal = 0
            running = false
        }

        /// Whether its latest backup failed.
        public var isFailing: Bool { consecutiveFailures > 0 }
        /// Whether its latest verification failed.
        public var verificationFailed: Bool { lastVerification.map { !$0.ok } ?? false }
        /// Whether a store of it did not get the latest backup (that the others got).
        public var storeFailing: Bool { stores?.contains { $0.consecutiveFailures > 0 } ?? false }

        /// Records how each store fared in a backup that succeeded in at least one: `failed`
        /// maps the names of those that did not get it to why.
        public mutating func recordStores(_ names: [String], failed: [String: String], at time: Date) {
            var stores: [Store] = []
            for name in names {
                var store = self.stores?.first { $0.name == name } ?? Store(name: name)
                if let reason = failed[name] {
                    store.lastFailure = Failure(time: time, reason: reason)
                    store.consecutiveFailures += 1
                } else {
                    store.lastSuccess = time
                    store.consecutiveFailures = 0
                }
                stores.append(store)
            }
            self.stores = stores
        }

        /// Records a store retry (no new backup): each store in `failed` one more failure; each
        /// that was behind and is no longer, up to date again as of the latest backup (`at` if
        /// none is known). Stores that were not behind are left as they were.
        public mutating func recordStoreRetry(failed: [String: String], at time: Date, latestBackup: Date?) {
            guard var stores else { return }
            for index in stores.indices {
                if let reason = failed[stores[index].name] {
                    stores[index].lastFailure = Failure(time: time, reason: reason)
                    stores[index].consecutiveFailures += 1
                } else if stores[index].consecutiveFailures > 0 {
                    stores[index].consecutiveFailures = 0
                    stores[index].lastSuccess = latestBackup ?? time
                }
            }
            self.stores = stores
        }
    }

    /// How one store of a database fared in the backups the daemon ran.
    public struct Store: Codable, Sendable, Equatable {
        /// The store's configured name.
        public var name: String
        /// When the latest backup it got started.
        public var lastSuccess: Date?
        /// Why it last did not get a backup.
        public var lastFailure: Failure?
        /// Backups in a row it did not get (the others did).
        public var consecutiveFailures: Int

        public init(name: String, lastSuccess: Date? = nil, lastFailure: Failure? = nil, consecutiveFailures: Int = 0) {
            self.name = name
            self.lastSuccess = lastSuccess
            self.lastFailure = lastFailure
            self.consecutiveFailures = consecutiveFailures
        }
    }

    /// A backup that succeeded.
    public struct Backup: Codable, Sendable, Equatable {
        /// When it started (the time in its name).
        public var time: Date
        /// Its data file's name, e.g. `app-20261126T120003.123456Z.sqlite.zst.age`.
        public var file: String?
        /// Its size as stored (compressed and encrypted).
        public var sizeBytes: Int64
        /// How long it took, when the daemon ran it.
        public var durationSeconds: Double?

        public init(time: Date, file: String?, sizeBytes: Int64, durationSeconds: Double?) {
            self.time = time
            self.file = file
            self.sizeBytes = sizeBytes
            self.durationSeconds = durationSeconds
        }
    }

    /// A backup that failed.
    public struct Failure: Codable, Sendable, Equatable {
        public var time: Date
        /// The error, as the journal has it.
        public var reason: String

        public init(time: Date, reason: String) {
            self.time = time
            self.reason = reason
        }
    }

    /// The verdict of one verification of a database's stored backups.
    public struct Verification: Codable, Sendable, Equatable {
        /// When it finished.
        public var time: Date
        /// `scrub` (stored SHA-256 only) or `restore-test` (decrypt, decompress, integrity_check).
        public var kind: VerificationKind
        public var ok: Bool
        /// How many backups were checked, and how many of them failed.
        public var checked: Int
        public var failed: Int
        /// The first failure, naming the file; nil when ok.
        public var reason: String?

        public init(time: Date, kind: VerificationKind, ok: Bool, checked: Int, failed: Int, reason: String?) {
            self.time = time
            self.kind = kind
            self.ok = ok
            self.checked = checked
            self.failed = failed
            self.reason = reason
        }
    }

    /// The daemon's scheduled verification (`verify_schedule`).
    public struct VerificationSchedule: Codable, Sendable, Equatable {
        /// The schedule as the configuration writes it.
        public var schedule: String
        /// What it does: a restore test when `verify_identity` is set, else a scrub.
        public var kind: VerificationKind
        /// Whether one is running now.
        public var running: Bool
        /// When the latest one started and finished.
        public var lastStart: Date?
        public var lastEnd: Date?
        public var nextRun: Date?

        public init(schedule: String, kind: VerificationKind) {
            self.schedule = schedule
            self.kind = kind
            running = false
        }
    }

    /// How a verification checks backups.
    public enum VerificationKind: String, Codable, Sendable, Equatable {
        case scrub
        case restoreTest = "restore-test"
    }
}
