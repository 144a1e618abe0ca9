import Age
import Crypto
import Foundation
import Logging

/// Checks stored backups: a scrub rereads the stored bytes against the manifest's SHA-256 (no
/// secret key needed); a restore test also decrypts, decompresses, checks the plaintext SHA-256
/// and runs `integrity_check`, inside a private folder it removes afterwards.
public struct Verifier: Sendable {
    /// How the errors it logs and reports read (the executable adds its advice).
    public var errorWording = ErrorWording.plain

    public init() {}

    public init(errorWording: ErrorWording) { self.errorWording = errorWording }

    /// Rereads `backup`'s stored bytes and compares their size and SHA-256 with the manifest.
    ///
    /// - Throws: `BackupError.hashMismatch` naming the file when they differ, or the read error.
    /// - Parameter cancellation: Checked between reads; once set, the scrub throws
    ///   `BackupError.cancelled` (and logs no verdict).
    public func scrub(
        backup: StoredBackup, store: any BackupStore, cancellation: Cancellation? = nil, logger: Logger
    ) throws {
        try scrub(backup: backup, store: store, packs: PackScrub(), cancellation: cancellation, logger: logger)
    }

    /// Scrubs `backup`, and the packs a page snapshot reads (each once per `packs`).
    func scrub(
        backup: StoredBackup, store: any BackupStore, packs: PackScrub, cancellation: Cancellation? = nil,
        logger: Logger
    ) throws {
        do {
            try Self.checkStoredBytes(backup, store: store, cancellation: cancellation)
            try packs.check(backup, store: store, cancellation: cancellation)
        } catch let error as BackupError where error.code == .cancelled {
            throw error
        } catch {
            logFailure(backup, error: error, logger: logger)
            throw error
        }
        logger.log(
            .verifyCompleted, "backup \(backup.manifest.file) of '\(backup.manifest.database)' matches its manifest",
            metadata: metadata(backup))
    }

    /// Scrubs `backup`, then restores it with `identities` into a new private folder (0700)
    /// under `scratch` and removes the folder again, whatever happened.
    ///
    /// Nothing is written outside that folder. `scratch` needs room for the whole database.
    ///
    /// - Parameter cancellation: Checked between reads; once set, the test throws
    ///   `BackupError.cancelled` (and logs no verdict).
    @discardableResult
    public func restoreTest(
        backup: StoredBackup, store: any BackupStore, identities: [any AgeIdentity], scratch: String,
        cancellation: Cancellation? = nil, logger: Logger
    ) throws -> RestoreResult {
        let result: RestoreResult
        do {
            try Self.checkStoredBytes(backup, store: store, cancellation: cancellation)
            let folder = try Self.makePrivateFolder(in: scratch)
            defer { Self.removePrivateFolder(folder) }
            result = try RestoreEngine().restore(
                .stored(backup, store: store), identities: identities,
                to: folder + "/restored.db", force: false, cancellation: cancellation, logger: logger)
        } catch let error as BackupError where error.code == .cancelled {
            throw error
        } catch {
            logFailure(backup, error: error, logger: logger)
            throw error
        }
        logger.log(
            .verifyCompleted,
            "backup \(backup.manifest.file) of '\(backup.manifest.database)' restored (\(ByteCount(result.plaintextSize))), matches its manifest and passes integrity_check",
            metadata: metadata(backup))
        return result
    }

    /// Compares what the store knows of `backup`'s stored bytes without reading them (its size,
    /// and its SHA-256 when the store keeps one) with the manifest; returns whether the SHA-256
    /// was compared. Much cheaper than a scrub on object storage (a HEAD per backup, no
    /// download), and it catches a missing, truncated or replaced object, not a bit flipped
    /// inside one the store did not checksum.
    ///
    /// - Throws: `BackupError.hashMismatch` naming the file when they differ, or the store's error.
    @discardableResult
    public func quickCheck(backup: StoredBackup, store: any BackupStore, logger: Logger) throws -> Bool {
        do {
            let facts = try store.storedFacts(of: backup)
            let manifest = backup.manifest
            guard facts.size == manifest.storedSize else {
                throw BackupError.sizeMismatch(
                    path: backup.dataLocation, expected: manifest.storedSize, actual: facts.size)
            }
            if let sha256 = facts.sha256, sha256 != manifest.storedSHA256 {
                throw BackupError.hashMismatch(
                    path: backup.dataLocation, expected: manifest.storedSHA256, actual: sha256)
            }
            logger.log(
                .verifyCompleted,
                "backup \(manifest.file) of '\(manifest.database)' has its manifest's size\(facts.sha256 == nil ? "" : " and SHA-256") in the store (quick check)",
                metadata: metadata(backup))
            return facts.sha256 != nil
        } catch {
            logFailure(backup, error: error, logger: logger)
            throw error
        }
    }

    /// Verifies every backup of `database`, newest first: restore tests when `identities` is
    /// given, quick checks when `quick` is set, scrubs otherwise. A database without backups is
    /// one failed result; so is each damaged manifest, after the backups that could be checked.
    public func verify(
        _ database: String, in store: any BackupStore, identities: [any AgeIdentity]?, scratch: String,
        quick: Bool = false, logger: Logger
    ) -> [VerifierResult] {
        let quick = quick && identities == nil
        let listing: StoreListing
        do {
            listing = try store.listing(of: database)
        } catch {
            return [
                VerifierResult(
                    database: database, backup: nil, restoreTested: false, outcome: .failed(error), quick: quick)
            ]
        }
        let damaged = listing.damaged.map {
            VerifierResult(database: database, backup: nil, restoreTested: false, outcome: .failed($0), quick: quick)
        }
        guard !listing.backups.isEmpty else {
            if !damaged.isEmpty { return damaged }
            let error = BackupError.noBackups(database: database, folder: store.location(of: database))
            return [
                VerifierResult(
                    database: database, backup: nil, restoreTested: false, outcome: .failed(error), quick: quick)
            ]
        }
        if quick {
            return listing.backups.map { backup in
                let outcome: VerifierResult.Outcome
                do {
                    outcome = .quickPassed(
                        checksumCompared: try quickCheck(backup: backup, store: store, logger: logger))
                } catch {
                    outcome = .failed(error)
                }
                return VerifierResult(
                    database: database, backup: backup, restoreTested: false, outcome: outcome, quick: true)
            } + damaged
        }
        let packs = PackScrub()
        return listing.backups.map { backup in
            let outcome: VerifierResult.Outcome
            do {
                let restored = try check(
                    backup, store: store, identities: identities, scratch: scratch, packs: packs, logger: logger)
                outcome = .passed(plaintextSize: restored)
            } catch {
                outcome = .failed(error)
            }
            return VerifierResult(
                database: database, backup: backup, restoreTested: identities != nil, outcome: outcome)
        } + damaged
    }

    /// Restore-tests `backup` when `identities` is given (returning its database's size), else
    /// scrubs it (returning nil).
    func check(
        _ backup: StoredBackup, store: any BackupStore, identities: [any AgeIdentity]?, scratch: String,
        packs: PackScrub, cancellation: Cancellation? = nil, logger: Logger
    ) throws -> Int64? {
        guard let identities else {
            try scrub(backup: backup, store: store, packs: packs, cancellation: cancellation, logger: logger)
            return nil
        }
        return try restoreTest(
            backup: backup, store: store, identities: identities, scratch: scratch, cancellation: cancellation,
            logger: logger
        ).plaintextSize
    }

    /// Rereads `backup`'s stored bytes and compares their SHA-256 and size with the manifest;
    /// the backup engine's read-back after publishing uses it too.
    static func checkStoredBytes(
        _ backup: StoredBackup, store: any BackupStore, cancellation: Cancellation? = nil
    ) throws {
        var hash = SHA256()
        var size: Int64 = 0
        try store.read(backup) { bytes in
            if cancellation?.isCancelled == true { throw BackupError.cancelled(database: backup.manifest.database) }
            size += Int64(bytes.count)
            hash.update(bufferPointer: bytes)
        }
        let actual = hash.finalize().hexString
        guard actual == backup.manifest.storedSHA256, size == backup.manifest.storedSize else {
            throw BackupError.hashMismatch(
                path: backup.dataLocation, expected: backup.manifest.storedSHA256, actual: actual)
        }
    }

    func logFailure(_ backup: StoredBackup, error: any Error, logger: Logger) {
        logger.log(
            .verifyFailed, level: .error,
            "backup \(backup.manifest.file) of '\(backup.manifest.database)' failed verification: \(errorWording(error))",
            metadata: metadata(backup).merging([LogKey.error: "\(errorWording(error))"]) { $1 })
    }

    private func metadata(_ backup: StoredBackup) -> Logger.Metadata {
        [LogKey.database: "\(backup.manifest.database)", LogKey.backup: "\(backup.manifest.file)"]
    }

    /// What the name of every restore test's private folder starts with.
    static let privateFolderPrefix = ".litesafe-verify."

    /// A new folder only this user can enter, for one restore test.
    static func makePrivateFolder(in scratch: String) throws -> String {
        var template = Array((scratch + "/" + privateFolderPrefix + "XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw FileSystemError("create a private folder in", path: scratch) }
        let folder = String(cString: made)
        // mkdtemp makes it 0700 already; say so explicitly rather than trust every libc.
        guard chmod(folder, 0o700) == 0 else {
            let error = FileSystemError("set mode of", path: folder)
            rmdir(folder)
            throw error
        }
        return folder
    }

    /// Removes a restore test's folder: the restored database, its -wal/-shm and any temporary.
    static func removePrivateFolder(_ folder: String) {
        for name in (try? FileSystem.contents(of: folder)) ?? [] {
            // A restore killed mid-way leaves its own private folder (of files only) inside.
            if name.hasPrefix(RestoreWorkspace.prefix) { removePrivateFolder(folder + "/" + name) }
            unlink(folder + "/" + name)
        }
        rmdir(folder)
    }
}
