import Foundation

/// Everything `litesafe.yml` says: global settings and the databases to back up.
///
/// Build one with `ConfigurationLoader`, which validates the file; the memberwise initialiser is
/// for tests and does no checking. Values are plain data, so a reload compares the old and new
/// configuration database by database.
public struct Configuration: Sendable, Equatable {
    /// The zone cron schedules and calendar retention (days, weeks, …) are computed in.
    public var timeZone: TimeZone
    /// How many databases may be backed up at the same time.
    public var maxConcurrentBackups: Int
    /// How backups share the CPU with the applications (`backup_cpu_priority`).
    public var backupCPUPriority: CPUPriority = .idle
    /// Where status and staging files live; staging goes in `stagingDirectory` below it.
    public var stateDirectory: String
    /// A node_exporter textfile to write metrics to, or nil for none.
    public var metricsTextfile: String?
    /// When to decrypt and check stored backups, or nil to never do it unattended.
    public var verifySchedule: Schedule?
    /// The age identity (secret key) file verification decrypts with, or nil.
    public var verifyIdentity: String?
    /// The databases, in file order, with `defaults` already applied.
    public var databases: [DatabaseConfiguration]
    /// The named stores of the top-level `stores:`, in file order (not the implicit ones a
    /// `destination:` makes).
    public var stores: [NamedStore] = []
    /// The file this configuration was read from.
    public var sourceFile: String

    /// The zone used when the file does not set `time_zone`.
    public static let defaultTimeZone = TimeZone.utc
    public static let defaultMaxConcurrentBackups = 1
    public static let defaultStateDirectory = "/var/lib/litesafe"

    public init(
        timeZone: TimeZone = Configuration.defaultTimeZone,
        maxConcurrentBackups: Int = Configuration.defaultMaxConcurrentBackups,
        stateDirectory: String = Configuration.defaultStateDirectory,
        metricsTextfile: String? = nil,
        verifySchedule: Schedule? = nil,
        verifyIdentity: String? = nil,
        databases: [DatabaseConfiguration],
        sourceFile: String
    ) {
        self.timeZone = timeZone
        self.maxConcurrentBackups = maxConcurrentBackups
        self.stateDirectory = stateDirectory
        self.metricsTextfile = metricsTextfile
        self.verifySchedule = verifySchedule
        self.verifyIdentity = verifyIdentity
        self.databases = databases
        self.sourceFile = sourceFile
    }

    /// Where snapshots are written before they are published; kept private to the service (0700).
    public var stagingDirectory: String { stateDirectory + "/staging" }
    /// Where page stores' keys and last page tables live (`format: pages`).
    public var pageStateDirectory: String { stateDirectory + "/pages" }

    /// The database with this name, if the file configures one.
    public func database(named name: String) -> DatabaseConfiguration? {
        databases.first { $0.name == name }
    }

    /// The databases `old` configured too whose backups now go to another folder or come from
    /// another file, as they were and as they are.
    public func movedDatabases(since old: Configuration) -> [(before: Database, after: Database)] {
        databases.compactMap { database in
            guard let before = old.database(named: database.name),
                before.stores.map(\.location) != database.stores.map(\.location) || before.path != database.path
            else { return nil }
            return (before, database)
        }
    }

    /// The databases with these names, in file order (all of them for no names), as the
    /// commands that take `NAME…` select them.
    ///
    /// - Throws: `UnknownDatabases` naming every name the file does not configure.
    public func databases(named names: [String]) throws -> [DatabaseConfiguration] {
        let unknown = names.filter { database(named: $0) == nil }
        guard unknown.isEmpty else { throw UnknownDatabases(names: unknown, configuration: self) }
        return databases.filter { names.isEmpty || names.contains($0.name) }
    }

    /// Names given on the command line that the configuration file does not configure.
    public struct UnknownDatabases: Error, CustomStringConvertible {
        public let names: [String]
        let file: String
        let configured: [String]

        init(names: [String], configuration: Configuration) {
            self.names = names
            file = configuration.sourceFile
            configured = configuration.databases.map(\.name)
        }

        public var description: String {
            "no database named \(names.map { "'\($0)'" }.joined(separator: ", ")) in \(file); configured: \(configured.joined(separator: ", "))"
        }
    }
}
