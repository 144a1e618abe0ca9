import Age
import Foundation
import Logging

extension Verifier {
    /// The verdict on every stored backup of one database, as the daemon records it.
    public struct DatabaseReport: Sendable, Equatable {
        public var database: String
        public var kind: DaemonState.VerificationKind
        /// How many backups were checked, and how many of them failed.
        public var checked: Int
        public var failed: Int
        /// The first failure (naming the file), or why the backups could not be listed.
        public var reason: String?

        public init(
            database: String, kind: DaemonState.VerificationKind, checked: Int = 0, failed: Int = 0,
            reason: String? = nil
        ) {
            self.database = database
            self.kind = kind
            self.checked = checked
            self.failed = failed
            self.reason = reason
        }

        public var ok: Bool { failed == 0 && reason == nil }
    }

    /// Verifies the stored backups of `databases`, one database after the other: restore tests
    /// with the identities in `identityFile` (in private folders under `scratch`), else scrubs;
    /// `stores` makes each database's store.
    ///
    /// An identity file that cannot be read fails every database with that reason.
    ///
    /// - Throws: `BackupError.cancelled` once `cancellation` is set.
    public func verifyAll(
        _ databases: [Configuration.Database], stores: any StoreFactory, identityFile: String?, scratch: String,
        cancellation: Cancellation,
        logger: Logger
    ) throws -> [DatabaseReport] {
        var identities: [any AgeIdentity]?
        if let identityFile {
            do {
                identities = try IdentityFile.read(identityFile)
            } catch {
                logger.log(
                    .verifyFailed, level: .error,
                    "cannot read the identity file \(identityFile) for the restore tests: \(errorWording(error))",
                    metadata: [LogKey.path: "\(identityFile)", LogKey.error: "\(errorWording(error))"])
                return databases.map {
                    DatabaseReport(
                        database: $0.name, kind: .restoreTest,
                        reason: "cannot read the identity file \(identityFile): \(errorWording(error))")
                }
            }
        }
        return try databases.map { database in
            try verifyBackups(
                of: database.name, in: stores.makeStore(at: database.store), identities: identities,
                scratch: scratch, cancellation: cancellation, logger: logger)
        }
    }

    /// Removes the private folders of restore tests an interrupted run left in `scratch`.
    public static func removeLeftovers(in scratch: String) -> [String] {
        var removed: [String] = []
        for name in (try? FileSystem.contents(of: scratch)) ?? [] where name.hasPrefix(privateFolderPrefix) {
            removePrivateFolder(scratch + "/" + name)
            removed.append(scratch + "/" + name)
        }
        return removed
    }

    /// Checks every backup of `database`, newest first, for the daemon's scheduled verification:
    /// restore tests when `identities` is given, scrubs otherwise.
    ///
    /// Unlike `verify(_:in:identities:scratch:logger:)` it takes no lock and blames no one for
    /// what others do meanwhile: a database without backups yet has nothing to check (ok), and
    /// a backup that fails because a prune removed it while it was read is left out.
    ///
    /// - Throws: `BackupError.cancelled` once `cancellation` is set (checked between backups and
    ///   between reads of a scrub or a restore test).
    public func verifyBackups(
        of database: String, in store: any BackupStore, identities: [any AgeIdentity]?, scratch: String,
        cancellation: Cancellation, logger: Logger
    ) throws -> DatabaseReport {
        var report = DatabaseReport(
            database: database, kind: identities == nil ? .scrub : .restoreTest, checked: 0, failed: 0)
        let listing: StoreListing
        do {
            listing = try store.listing(of: database)
        } catch {
            report.reason = "cannot list the backups: \(errorWording(error))"
            logger.log(
                .verifyFailed, level: .error,
                "cannot list the backups of '\(database)' to verify them: \(errorWording(error))",
                metadata: [LogKey.database: "\(database)", LogKey.error: "\(errorWording(error))"])
            return report
        }
        // A damaged manifest fails the database, but every whole backup is still checked.
        listing.logDamaged(database: database, logger: logger, wording: errorWording)
        report.checked += listing.damaged.count
        report.failed += listing.damaged.count
        report.reason = listing.damaged.first.map { "\($0)" }
        let packs = PackScrub()
        for backup in listing.backups {
            if cancellation.isCancelled { throw BackupError.cancelled(database: database) }
            do {
                _ = try check(
                    backup, store: store, identities: identities, scratch: scratch, packs: packs,
                    cancellation: cancellation, logger: logger)
                report.checked += 1
            } catch BackupError.cancelled {
                throw BackupError.cancelled(database: database)
            } catch {
                if let still = try? store.backups(of: database), !still.contains(backup) {
                    logger.info(
                        "backup \(backup.manifest.file) of '\(database)' was pruned while it was verified; leaving it out",
                        metadata: [LogKey.database: "\(database)", LogKey.backup: "\(backup.manifest.file)"])
                    continue
                }
                report.checked += 1
                report.failed += 1
                if report.reason == nil { report.reason = "\(errorWording(error))" }
            }
        }
        return report
    }
}
