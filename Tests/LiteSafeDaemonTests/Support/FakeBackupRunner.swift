import Foundation
import LiteSafeCore
import LiteSafeDaemon
import Logging

/// A `BackupRunner` that backs nothing up: each database succeeds, fails, or blocks until the
/// test releases it, and the runner records what ran, with what, and how many at once.
final class FakeBackupRunner: BackupRunner, @unchecked Sendable {
    enum Behavior {
        case succeed
        case fail
        /// Waits for `release(_:)`, or throws `BackupError.cancelled` once cancelled.
        case block
        /// Waits for `release(_:)`, ignoring cancellation, as a backup stuck in the kernel would.
        case hang
    }

    struct Failure: Error, CustomStringConvertible {
        let database: String
        var description: String { "the disk of '\(database)' is on fire" }
    }

    private let condition = NSCondition()
    private var behaviors: [String: Behavior] = [:]
    private var defaultBehavior: Behavior
    private var releases: [String: Int] = [:]
    private var runningCount: [String: Int] = [:]
    private var recordedJobs: [BackupJob] = []
    private var peak = 0
    private var overlapping: [String] = []
    private var missed: [String: [String: String]] = [:]
    private var retries: [String] = []

    init(_ defaultBehavior: Behavior = .succeed) {
        self.defaultBehavior = defaultBehavior
    }

    /// The databases backed up so far, in the order they started.
    var calls: [String] { condition.withLock { recordedJobs.map(\.name) } }
    var jobs: [BackupJob] { condition.withLock { recordedJobs } }
    /// The most backups that ran at once.
    var maxConcurrent: Int { condition.withLock { peak } }
    /// Databases that had two backups running at once.
    var overlaps: [String] { condition.withLock { overlapping } }
    var running: [String] { condition.withLock { runningCount.filter { $0.value > 0 }.keys.sorted() } }

    func set(_ behavior: Behavior, for database: String) { condition.withLock { behaviors[database] = behavior } }

    /// Lets one blocked (or hung) backup of `database` succeed.
    func release(_ database: String) {
        condition.withLock {
            releases[database, default: 0] += 1
            condition.broadcast()
        }
    }

    func calls(of database: String) -> Int { calls.count { $0 == database } }

    /// From now on, backups and store retries of `database` report `stores` (name → why) as
    /// not holding its backups, beside a store named `local` that does; empty: every store does.
    func setMissedStores(_ stores: [String: String], for database: String) {
        condition.withLock { missed[database] = stores }
    }

    /// The databases whose stores were retried (`catchUpStores`), in order.
    var storeRetries: [String] { condition.withLock { retries } }

    func catchUpStores(_ job: BackupJob, cancellation: Cancellation, logger: Logger) throws -> BackupSummary {
        let (stillMissed, behavior) = condition.withLock {
            retries.append(job.name)
            return (missed[job.name] ?? [:], behaviors[job.name] ?? defaultBehavior)
        }
        // `.fail`: no store could even be opened.
        if behavior == .fail { throw Failure(database: job.name) }
        return BackupSummary(storedSize: 0, stores: storeNames(stillMissed), failedStores: stillMissed)
    }

    private func storeNames(_ missed: [String: String]) -> [String] {
        missed.isEmpty ? ["local", "offsite"] : ["local"] + missed.keys.sorted()
    }

    func backUp(_ job: BackupJob, cancellation: Cancellation, logger: Logger) throws -> BackupSummary {
        let behavior: Behavior = condition.withLock {
            recordedJobs.append(job)
            runningCount[job.name, default: 0] += 1
            if runningCount[job.name]! > 1 { overlapping.append(job.name) }
            peak = max(peak, runningCount.values.reduce(0, +))
            return behaviors[job.name] ?? defaultBehavior
        }
        defer { condition.withLock { runningCount[job.name]! -= 1 } }
        switch behavior {
        case .succeed:
            break
        case .fail:
            throw Failure(database: job.name)
        case .block, .hang:
            condition.lock()
            defer { condition.unlock() }
            while releases[job.name, default: 0] == 0 {
                if behavior == .block && cancellation.isCancelled { throw BackupError.cancelled(database: job.name) }
                _ = condition.wait(until: Date().addingTimeInterval(0.01))
            }
            releases[job.name]! -= 1
        }
        let stillMissed = condition.withLock { missed[job.name] }
        guard let stillMissed else { return BackupSummary(storedSize: 4_100_000) }
        return BackupSummary(storedSize: 4_100_000, stores: storeNames(stillMissed), failedStores: stillMissed)
    }
}
