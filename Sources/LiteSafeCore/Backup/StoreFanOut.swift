import Crypto
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
    /// Older backups it lacked that another store held and its retention keeps, copied to it
    /// after the backup (newest first), as this store holds them.
    public var caughtUp: [StoredBackup] = []
    /// Why copying it the backups it lacked stopped, if it did (it keeps those already copied).
    public var catchUpError: (any Error)? = nil

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
                if job.removesLeftovers {
                    do {
                        try target.store.removeLeftovers(database: job.name).log(
                            database: job.name, logger: logger(for: target))
                    } catch {
                        lock.release()
                        throw error
                    }
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

    /// Writes a reserved start over the zeros each remaining store's pending backup carries
    /// there, then reads every one back before its commit: with the start's region zeroed it must
    /// give what was streamed (`streamed`, a `StreamChecksum`, over `storedSize` bytes), and the
    /// region must read as written. A store whose bytes differ is dropped. Returns the SHA-256 of
    /// the whole stored file, for the manifest: a file whose start is written last has no other.
    func fillStart(_ late: StoredStream.LateStart?, streamed: UInt64, storedSize: Int64) throws -> String {
        var whole: String?
        try each { member in
            guard let pending = member.pending else { return }
            if let late { try late.bytes.withUnsafeBytes { try pending.overwrite($0, at: late.offset) } }
            CrashPoint.backupAfterReservedStart.reached()
            let region = late.map { $0.offset..<($0.offset + Int64($0.bytes.count)) } ?? 0..<0
            var file = SHA256()
            var asStreamed = StreamChecksum()
            var regionMatches = true
            var offset: Int64 = 0
            try pending.readBack { bytes in
                file.update(bufferPointer: bytes)
                let range = offset..<(offset + Int64(bytes.count))
                let overlap = range.clamped(to: region)
                if overlap.isEmpty {
                    asStreamed.update(bytes)
                } else {
                    let low = Int(overlap.lowerBound - offset)
                    let high = Int(overlap.upperBound - offset)
                    asStreamed.update(UnsafeRawBufferPointer(rebasing: bytes[..<low]))
                    asStreamed.update(zeros: high - low)
                    asStreamed.update(UnsafeRawBufferPointer(rebasing: bytes[high...]))
                    if let late {
                        let from = Int(overlap.lowerBound - late.offset)
                        regionMatches =
                            regionMatches
                            && late.bytes[from..<(from + high - low)].elementsEqual(bytes[low..<high])
                    }
                }
                offset = range.upperBound
            }
            guard offset == storedSize, regionMatches, asStreamed.finalize() == streamed else {
                throw BackupError.readBackMismatch(
                    path: member.target.store.location(of: job.name) + "/" + pending.fileName)
            }
            whole = file.finalize().hexString
        }
        // `each` throws when no store is left, so one read back.
        return whole!
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

    // MARK: Catching up a store that missed backups.

    /// Gives each remaining store named in `names` (every one when nil) the backups of the job's
    /// kind that it lacks, that another remaining store holds, that passed their check, and that
    /// its own retention would keep; newest first, each the same bytes and manifest, its
    /// SHA-256 checked on the way and read back with `check` as a new backup is.
    ///
    /// A store that was down, full or added later so ends up holding what it would hold had it
    /// never missed a backup. Nothing here throws: a store whose listing or copy fails is
    /// recorded in its outcome's `catchUpError` and logged, and keeps what it got; a
    /// cancellation stops the copying, leaving nothing partial.
    func catchUp(
        into names: Set<String>? = nil, now: Date, cancellation: Cancellation,
        check: (StoredBackup, any BackupStore) throws -> Void
    ) {
        guard members.count > 1 else { return }
        var held: [[StoredBackup]?] = []
        for member in members {
            // A store just pruned is not listed again: what its prune kept is what it holds
            // (on S3 a listing costs a LIST and a GET per manifest).
            let outcome = outcomes[member.index]
            if outcome.pruneError == nil, !outcome.retention.isEmpty {
                held.append(
                    outcome.retention.filter(\.isKept).map(\.backup).filter { $0.manifest.backupKind == job.kind })
                continue
            }
            do {
                held.append(try member.target.store.backups(of: job.name).filter { $0.manifest.backupKind == job.kind })
            } catch {
                held.append(nil)
                if names?.contains(member.target.name) ?? true { caughtUpFailed(member, error: error) }
            }
        }
        for (position, member) in members.enumerated() where names?.contains(member.target.name) ?? true {
            guard let own = held[position] else { continue }
            let ownStems = Set(own.map(\.id.stem))
            // Each backup this store lacks, with every other store's copy of it.
            var copies: [String: [(store: any BackupStore, backup: StoredBackup)]] = [:]
            for (other, backups) in held.enumerated() where other != position {
                for backup in backups ?? [] where !ownStems.contains(backup.id.stem) && backup.manifest.passedCheck {
                    copies[backup.id.stem, default: []].append((members[other].target.store, backup))
                }
            }
            var wanted = copies.values.map { $0[0].backup }
            if let policy = member.target.retention, !wanted.isEmpty {
                let kept = Set(
                    RetentionPlanner.plan(backups: own + wanted, policy: policy, timeZone: job.timeZone, now: now)
                        .filter(\.isKept).map(\.backup.id.stem))
                wanted = wanted.filter { kept.contains($0.id.stem) }
            }
            wanted.sort { ($0.manifest.created, $0.id.stem) > ($1.manifest.created, $1.id.stem) }
            for backup in wanted {
                do {
                    let stored = try copy(
                        copies[backup.id.stem] ?? [], into: member.target.store, cancellation: cancellation,
                        check: check)
                    outcomes[member.index].caughtUp.append(stored)
                    let source = copies[backup.id.stem]?.first.map { " (from \($0.store.location))" } ?? ""
                    logger(for: member.target).log(
                        .storeCaughtUp,
                        "store '\(member.target.name)' lacked backup \(backup.manifest.file) of '\(job.name)' and got it\(source)",
                        metadata: [
                            LogKey.database: "\(job.name)", LogKey.store: "\(member.target.name)",
                            LogKey.backup: "\(backup.manifest.file)", LogKey.bytes: "\(backup.manifest.storedSize)",
                        ])
                } catch {
                    caughtUpFailed(member, error: error)
                    break
                }
            }
        }
    }

    /// Copies one backup from the first of `copies` whose bytes match its manifest into `store`.
    private func copy(
        _ copies: [(store: any BackupStore, backup: StoredBackup)], into store: any BackupStore,
        cancellation: Cancellation, check: (StoredBackup, any BackupStore) throws -> Void
    ) throws -> StoredBackup {
        var damaged: (any Error)?
        for (source, backup) in copies {
            let manifest = backup.manifest
            let stem = backup.id.stem
            let pending = try store.beginBackup(
                database: job.name, stem: stem, dataExtension: String(manifest.file.dropFirst(stem.count)))
            do {
                var hash = SHA256()
                var size: Int64 = 0
                try source.read(backup) { bytes in
                    if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
                    hash.update(bufferPointer: bytes)
                    size += Int64(bytes.count)
                    try pending.write(bytes)
                }
                let actual = hash.finalize().hexString
                guard size == manifest.storedSize, actual == manifest.storedSHA256 else {
                    // That store's copy is damaged: never spread it; another store's may be good.
                    pending.abandon()
                    damaged = BackupError.hashMismatch(
                        path: backup.dataLocation, expected: manifest.storedSHA256, actual: actual)
                    continue
                }
                if cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
                let stored = try pending.commit(manifest: manifest)
                try check(stored, store)
                return stored
            } catch {
                pending.abandon()
                throw error
            }
        }
        throw damaged ?? BackupError.cancelled(database: job.name)
    }

    private func caughtUpFailed(_ member: Member, error: any Error) {
        outcomes[member.index].catchUpError = error
        let text = errorWording(error)
        logger(for: member.target).log(
            .storeFailed, level: .error,
            "giving store '\(member.target.name)' the backups of '\(job.name)' it lacks failed: \(text); it is tried again later",
            metadata: [LogKey.database: "\(job.name)", LogKey.store: "\(member.target.name)", LogKey.error: "\(text)"])
    }
}
