import Foundation
import Logging

/// How one store of a backup fared.
public struct StoreOutcome: Sendable {
    /// The store's configured name (`offsite`).
    public var store: String
    /// Where the store is, as messages name it.
    public var location: String
    /// The backup as this store holds it, or nil when it did not get it.
    public var backup: StoredBackup?
    /// Why this store did not get the backup.
    public var error: (any Error)?
    /// What the prune after the backup decided in this store.
    public var retention: [RetentionDecision] = []
    /// Why the prune in this store failed, if it did.
    public var pruneError: (any Error)? = nil

    public var succeeded: Bool { backup != nil }
}

/// The stores one backup goes to: each locked, written and committed in step, the same bytes
/// and manifest to each.
///
/// A store that fails at any step is dropped (its pending backup abandoned, its lock released,
/// the failure logged with `LogKey.store` and kept) and the others carry on; when the last one
/// fails, its error is thrown, so a job with one store fails exactly as it did before there
/// were several. Used once, on one thread.
final class StoreFanOut {
    private struct Member {
        var index: Int
        var target: BackupJob.Target
        var lock: any StoreLock
        var pending: (any PendingBackup)?
    }

    private let job: BackupJob
    private let logger: Logger
    private let errorWording: ErrorWording
    private var members: [Member] = []
    private(set) var outcomes: [StoreOutcome]

    init(job: BackupJob, logger: Logger, errorWording: ErrorWording) {
        self.job = job
        self.logger = logger
        self.errorWording = errorWording
        outcomes = job.targets.map { StoreOutcome(store: $0.name, location: $0.store.location(of: job.name)) }
    }

    /// Whether messages should name the store: only a job with several has to say which.
    private var namesStores: Bool { job.targets.count > 1 }

    /// The logger for what happens in `target`'s store, tagged with its name when there are several.
    func logger(for target: BackupJob.Target) -> Logger {
        var logger = self.logger
        if namesStores { logger[metadataKey: LogKey.store] = "\(target.name)" }
        return logger
    }

    /// Takes each store's per-database lock and removes what interrupted runs left there.
    func open() throws {
        for (index, target) in job.targets.enumerated() {
            do {
                let lock = try target.store.lock(database: job.name)
                do {
                    try target.store.removeLeftovers(database: job.name).log(
                        database: job.name, logger: logger(for: target))
                } catch {
                    lock.release()
                    throw error
                }
                members.append(Member(index: index, target: target, lock: lock))
            } catch {
                outcomes[index].error = error
                try dropped(target: target, error: error, remaining: job.targets.count - index - 1 + members.count)
            }
        }
    }

    /// Runs `body` on each remaining store, dropping those it throws for.
    private func each(_ body: (inout Member) throws -> Void) throws {
        var index = 0
        while index < members.count {
            do {
                try body(&members[index])
                index += 1
            } catch {
                let member = members.remove(at: index)
                member.pending?.abandon()
                member.lock.release()
                outcomes[member.index].error = error
                try dropped(target: member.target, error: error, remaining: members.count)
            }
        }
    }

    /// Logs a store's failure (when there are several), and rethrows it when no store is left.
    private func dropped(target: BackupJob.Target, error: any Error, remaining: Int) throws {
        if namesStores {
            let text = errorWording(error)
            logger(for: target).log(
                .storeFailed, level: .error,
                "backup of '\(job.name)' to store '\(target.name)' failed: \(text)\(remaining > 0 ? "; the other stores go on" : "")",
                metadata: [LogKey.database: "\(job.name)", LogKey.error: "\(text)"])
        }
        if remaining == 0 { throw error }
    }

    /// A stem no remaining store has taken yet.
    func uniqueStem(date: Date) throws -> String {
        var collision = 0
        while true {
            let stem = BackupName.stem(database: job.name, date: date, collision: collision)
            var taken = false
            try each { member in taken = try taken || member.target.store.isTaken(stem: stem, database: job.name) }
            if !taken { return stem }
            collision += 1
        }
    }

    /// Starts the backup in each remaining store.
    func begin(stem: String, dataExtension: String) throws {
        try each { member in
            member.pending = try member.target.store.beginBackup(
                database: job.name, stem: stem, dataExtension: dataExtension)
        }
    }

    /// The data file's name, the same in every store.
    var fileName: String { members.first?.pending?.fileName ?? "" }

    /// Appends the same stored bytes to each remaining store.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try each { member in try member.pending?.write(bytes) }
    }

    /// Commits the manifest in each remaining store and has `check` read the result back.
    func commit(manifest: Manifest, check: (StoredBackup, any BackupStore) throws -> Void) throws {
        try each { member in
            guard let pending = member.pending else { return }
            let stored = try pending.commit(manifest: manifest)
            outcomes[member.index].backup = stored
            do {
                try check(stored, member.target.store)
            } catch {
                outcomes[member.index].backup = nil
                throw error
            }
        }
    }

    /// Runs `body` for each store that holds the backup, with its lock held.
    func forEachPublished(_ body: (BackupJob.Target, any StoreLock, inout StoreOutcome) -> Void) {
        for member in members where outcomes[member.index].succeeded {
            body(member.target, member.lock, &outcomes[member.index])
        }
    }

    /// Throws away every pending backup not yet committed (harmless after a commit).
    func abandon() {
        for member in members { member.pending?.abandon() }
    }

    func releaseLocks() {
        for member in members { member.lock.release() }
        members = []
    }
}
