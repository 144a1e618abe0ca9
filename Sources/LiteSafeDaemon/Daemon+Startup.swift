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
            let store = stores.makeStore(at: database.store)
            let metadata: Logger.Metadata = [LogKey.database: "\(database.name)"]
            do {
                let lock = try store.lock(database: database.name)
                defer { lock.release() }
                try store.removeLeftovers(database: database.name).log(database: database.name, logger: logger)
                for path in try Staging.removeLeftovers(in: staging, database: database.name) {
                    logger.log(
                        .leftoverRemoved, level: .notice, "removed \(path), left by an interrupted run",
                        metadata: metadata.merging([LogKey.path: "\(path)"]) { $1 })
                }
            } catch BackupError.alreadyRunning {
                logger.info(
                    "another backup or prune of '\(database.name)' is running; leaving its folder to it",
                    metadata: metadata)
            } catch {
                let text = Daemon.errorText(error)
                logger.warning(
                    "cannot clean up the backups folder of '\(database.name)': \(text)",
                    metadata: metadata.merging([LogKey.error: "\(text)"]) { $1 })
            }
        }
    }

    /// Reads each database's newest backup from its store; an unreadable store counts as empty,
    /// which schedules a backup soon (and that backup reports the problem).
    static func readHistory(
        of databases: [Configuration.Database], stores: any StoreFactory, logger: Logger
    ) -> History {
        var history = History()
        for database in databases {
            do {
                let listing = try stores.makeStore(at: database.store).listing(of: database.name)
                listing.logDamaged(database: database.name, logger: logger, wording: .advising)
                // Snapshots schedule the backups; stored dumps only the dumps.
                let all = listing.backups.filter { $0.manifest.backupKind == .snapshot }
                if let dump = listing.backups.first(where: { $0.manifest.isDump }) {
                    history.lastDumps[database.name] = dump.manifest.created
                    history.dumps[database.name] = DaemonState.Backup(
                        time: dump.manifest.created, file: dump.manifest.file, sizeBytes: dump.manifest.storedSize,
                        durationSeconds: nil)
                }
                history.retained[database.name] = all.count
                guard let newest = all.first else { continue }
                let created = newest.manifest.created
                history.backups[database.name] = DaemonState.Backup(
                    time: created, file: newest.manifest.file, sizeBytes: newest.manifest.storedSize,
                    durationSeconds: nil)
                history.lastRuns[database.name] = created
                if history.newest.map({ $0.date < created }) ?? true {
                    history.newest = StatusLine.LastBackup(
                        name: database.name, succeeded: true, date: created, storedSize: newest.manifest.storedSize)
                }
            } catch {
                let text = Daemon.errorText(error)
                logger.warning(
                    "cannot list the backups of '\(database.name)': \(text); scheduling it as if it had none",
                    metadata: [LogKey.database: "\(database.name)", LogKey.error: "\(text)"])
            }
        }
        return history
    }
}
