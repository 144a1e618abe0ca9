import Foundation
import LiteSafeCore
import LiteSafePresentation
import Logging

extension Daemon {
    /// What the store says about the databases: when each was last backed up, and the newest
    /// backup of all (for the status line).
    struct History: Sendable {
        var lastRuns: [String: Date] = [:]
        var newest: StatusLine.LastBackup?
        /// Each database's newest backup and how many it has, for the state file.
        var backups: [String: DaemonState.Backup] = [:]
        var retained: [String: Int] = [:]
        /// When each database's newest stored dump was taken, for the dump schedule.
        var lastDumps: [String: Date] = [:]
        /// Each database's newest stored dump, for the state file.
        var dumps: [String: DaemonState.Backup] = [:]
    }

    /// What start-up reads from the stores and the state folder, gathered on a thread of its own
    /// (`gather(for:stores:logger:)`) and applied on the daemon's queue.
    struct StartupFindings: Sendable {
        var history: History
        /// The previous run's state file, if it could be read.
        var previousState: DaemonState?

        /// Removes what interrupted runs left and reads each database's history and the previous
        /// state, logging as it goes; it blocks on the stores, so never on the daemon's queue.
        static func gather(for configuration: Configuration, stores: any StoreFactory, logger: Logger)
            -> StartupFindings
        {
            Daemon.makeStateDirectory(of: configuration, logger: logger)
            Daemon.removeLeftovers(
                of: configuration.databases, staging: configuration.stagingDirectory, stores: stores, logger: logger)
            let history = Daemon.readHistory(of: configuration.databases, stores: stores, logger: logger)
            let file = StateFile(directory: configuration.stateDirectory)
            file.removeLeftovers()
            var previous: DaemonState?
            do {
                previous = try file.read()
            } catch {
                let text = Daemon.errorText(error)
                logger.warning(
                    "cannot read the previous state: \(text); starting a new one",
                    metadata: [LogKey.path: "\(file.path)", LogKey.error: "\(text)"])
            }
            for path in Verifier.removeLeftovers(in: configuration.stateDirectory) {
                logger.log(.leftoverRemoved, level: .notice, "removed \(path), left by an interrupted verification")
            }
            configuration.metricsTextfile.map { MetricsFile(path: $0).removeLeftovers() }
            return StartupFindings(history: history, previousState: previous)
        }
    }

    /// Creates the state folder (0700) if it is missing, and checks that it is ours alone (it
    /// holds staging, where snapshots wait in plaintext); systemd's `StateDirectory=` makes it
    /// for the service, but a daemon run by hand (`make run`) must make its own.
    static func makeStateDirectory(of configuration: Configuration, logger: Logger) {
        do {
            try FolderTrust.check(configuration.stateDirectory, create: true)
        } catch {
            let text = Daemon.errorText(error)
            logger.warning(
                "cannot use the state folder \(configuration.stateDirectory): \(text); backups will fail until it is fixed",
                metadata: [LogKey.path: "\(configuration.stateDirectory)", LogKey.error: "\(text)"])
        }
    }

    /// Removes what interrupted runs left in each database's folder and in staging, under the
    /// database's lock.
    ///
    /// Each backup does this too; doing it at start means a crash's leftovers (a plaintext
    /// snapshot among them) do not wait for the next scheduled backup. A database whose lock is
    /// held (a `litesafe backup` or prune running now) is skipped: its leftovers may be that
    /// run's files in progress.
    static func removeLeftovers(
        of databases: [Configuration.Database], staging: String, stores: any StoreFactory, logger: Logger
    ) {
        for database in databases {
            for named in database.stores {
                removeLeftovers(
                    of: database.name, in: stores.makeStore(at: named.location),
                    storeName: database.stores.count > 1 ? named.name : nil, staging: staging, logger: logger)
            }
        }
    }

    /// `removeLeftovers(of:staging:stores:logger:)` for one of a database's stores (`storeName`
    /// set when it has several, to name it in the log).
    private static func removeLeftovers(
        of name: String, in store: any BackupStore, storeName: String?, staging: String, logger: Logger
    ) {
        var metadata: Logger.Metadata = [LogKey.database: "\(name)"]
        if let storeName { metadata[LogKey.store] = "\(storeName)" }
        var logger = logger
        if let storeName { logger[metadataKey: LogKey.store] = "\(storeName)" }
        let place = storeName.map { " in store '\($0)'" } ?? ""
        do {
            let lock = try store.lock(database: name)
            defer { lock.release() }
            try store.removeLeftovers(database: name).log(database: name, logger: logger)
            for path in try Staging.removeLeftovers(in: staging, database: name) {
                logger.log(
                    .leftoverRemoved, level: .notice, "removed \(path), left by an interrupted run",
                    metadata: metadata.merging([LogKey.path: "\(path)"]) { $1 })
            }
        } catch BackupError.alreadyRunning {
            logger.info(
                "another backup or prune of '\(name)' is running\(place); leaving its folder to it", metadata: metadata)
        } catch {
            let text = Daemon.errorText(error)
            logger.warning(
                "cannot clean up the backups folder of '\(name)'\(place): \(text)",
                metadata: metadata.merging([LogKey.error: "\(text)"]) { $1 })
        }
    }

    /// Reads each database's newest backup from its stores (the newest any of them holds, so a
    /// store that is down or behind does not make the daemon back up at once); a store that
    /// cannot be listed is logged and skipped, and a database none of whose stores can be read
    /// counts as having no backup, which schedules one soon (and that backup reports the problem).
    static func readHistory(
        of databases: [Configuration.Database], stores: any StoreFactory, logger: Logger
    ) -> History {
        var history = History()
        for database in databases {
            for (position, named) in database.stores.enumerated() {
                let place = database.stores.count > 1 ? " in store '\(named.name)'" : ""
                do {
                    let listing = try stores.makeStore(at: named.location).listing(of: database.name)
                    listing.logDamaged(database: database.name, logger: logger, wording: .advising)
                    record(listing, of: database.name, countRetained: position == 0, into: &history)
                } catch {
                    let text = Daemon.errorText(error)
                    let fallback =
                        position + 1 < database.stores.count
                        ? "; reading its other stores"
                        : "; scheduling it from the stores read, or as if it had no backup"
                    logger.warning(
                        "cannot list the backups of '\(database.name)'\(place): \(text)\(fallback)",
                        metadata: [LogKey.database: "\(database.name)", LogKey.error: "\(text)"])
                }
            }
        }
        return history
    }

    /// Adds what one store's listing says of `name` to `history`, keeping the newest of each.
    private static func record(
        _ listing: StoreListing, of name: String, countRetained: Bool, into history: inout History
    ) {
        // Snapshots schedule the backups; stored dumps only the dumps.
        let all = listing.backups.filter { $0.manifest.backupKind == .snapshot }
        if let dump = listing.backups.first(where: { $0.manifest.isDump }),
            history.lastDumps[name].map({ $0 < dump.manifest.created }) ?? true
        {
            history.lastDumps[name] = dump.manifest.created
            history.dumps[name] = DaemonState.Backup(
                time: dump.manifest.created, file: dump.manifest.file, sizeBytes: dump.manifest.storedSize,
                durationSeconds: nil)
        }
        if countRetained || history.retained[name] == nil { history.retained[name] = all.count }
        guard let newest = all.first else { return }
        let created = newest.manifest.created
        guard history.lastRuns[name].map({ $0 < created }) ?? true else { return }
        history.backups[name] = DaemonState.Backup(
            time: created, file: newest.manifest.file, sizeBytes: newest.manifest.storedSize, durationSeconds: nil)
        history.lastRuns[name] = created
        if history.newest.map({ $0.date < created }) ?? true {
            history.newest = StatusLine.LastBackup(
                name: name, succeeded: true, date: created, storedSize: newest.manifest.storedSize)
        }
    }
}
