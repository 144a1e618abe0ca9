import Foundation
import Logging
import TestSupport
import Testing

@testable import LiteSafeCore

/// Retention as properties over generated histories: two years of backups at random times
/// (clustered, so hours and days hold several), random check failures, random policies.
@Suite("Retention: properties over generated histories")
struct RetentionPropertyTests {
    typealias F = RetentionFixture

    struct History {
        let backups: [StoredBackup]
        let policy: RetentionPolicy
        let timeZone: TimeZone
        let now: Date

        init(seed: UInt64) {
            var random = SeededGenerator(seed: seed)
            let now = F.date("2026-11-26T12:00:00Z")
            let span = 2 * 366 * 86_400.0
            var times: [Double] = []
            while times.count < 300 {
                // Bursts of one to five backups minutes apart, as retries and manual runs make.
                let start = Double.random(in: 0..<span, using: &random)
                for _ in 0..<Int.random(in: 1...5, using: &random) {
                    times.append(start + Double.random(in: 0..<7_200, using: &random))
                }
            }
            backups = times.map { offset in
                let created = BackupName.truncatedToMicroseconds(now.addingTimeInterval(-offset))
                let failed = Double.random(in: 0..<1, using: &random) < 0.12
                return F.backup(created, check: failed ? "quick_check failed" : "quick_check ok")
            }
            let zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
            timeZone = TimeZone(identifier: zones[Int.random(in: 0..<zones.count, using: &random)])!
            func count() -> Int { Bool.random(using: &random) ? Int.random(in: 1...8, using: &random) : 0 }
            var policy = RetentionPolicy(
                keepLast: count(), keepHourly: count(), keepDaily: count(), keepWeekly: count(),
                keepMonthly: count(), keepYearly: count())
            if Bool.random(using: &random) {
                policy.keepWithin = .seconds(Int64.random(in: 3_600...(90 * 86_400), using: &random))
            }
            if policy.keepsNothing { policy.keepLast = 1 }
            self.policy = policy
            self.now = now
        }

        func plan(_ backups: [StoredBackup]? = nil) -> [RetentionDecision] {
            RetentionPlanner.plan(backups: backups ?? self.backups, policy: policy, timeZone: timeZone, now: now)
        }
    }

    static let seeds: [UInt64] = Array(1...40)

    @Test("each rule keeps the newest good backup of each of its last N periods, and nothing else", arguments: seeds)
    func rulesMatchTheirDefinition(seed: UInt64) {
        let history = History(seed: seed)
        let plan = history.plan()
        let good = plan.map(\.backup).filter(\.manifest.passedCheck)
        var expected = [String: Set<String>]()  // data location → reasons
        for (rank, backup) in good.prefix(history.policy.keepLast).enumerated() {
            expected[backup.dataLocation, default: []].insert("last \(rank + 1)/\(history.policy.keepLast)")
        }
        // Period names from DateFormatter: a second route to the same calendar, to check the first.
        let formats: [(String, String, Int)] = [
            ("hourly", "yyyy-MM-dd'T'HH", history.policy.keepHourly), ("daily", "yyyy-MM-dd", history.policy.keepDaily),
            ("weekly", "YYYY-'W'ww", history.policy.keepWeekly), ("monthly", "yyyy-MM", history.policy.keepMonthly),
            ("yearly", "yyyy", history.policy.keepYearly),
        ]
        for (rule, format, count) in formats where count > 0 {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.calendar = Calendar(identifier: .iso8601)
            formatter.timeZone = history.timeZone
            formatter.dateFormat = format
            var periods: [String] = []
            for backup in good {
                let period = formatter.string(from: backup.manifest.created)
                if !periods.contains(period) && periods.count < count {
                    periods.append(period)
                    expected[backup.dataLocation, default: []].insert("\(rule) \(period)")
                }
            }
        }
        if let within = history.policy.keepWithin {
            for backup in good where history.now.timeIntervalSince(backup.manifest.created) < within.seconds {
                expected[backup.dataLocation, default: []].insert("within \(formatDuration(within))")
            }
        }
        if let newest = good.first, expected[newest.dataLocation] == nil {
            expected[newest.dataLocation] = ["newest good backup"]
        }
        for decision in plan where decision.backup.manifest.passedCheck {
            let reasons = expected[decision.backup.dataLocation]
            #expect(decision.isKept == (reasons != nil), "\(decision)")
            #expect(Set(decision.reasons) == reasons ?? ["no rule keeps it"], "\(history.policy)")
        }
    }

    @Test(
        "the newest good backup is kept; failed ones stay only while newer than the oldest kept good one",
        arguments: seeds)
    func newestGoodAndFailures(seed: UInt64) throws {
        let history = History(seed: seed)
        let plan = history.plan()
        let newestGood = try #require(plan.first { $0.backup.manifest.passedCheck })
        #expect(newestGood.isKept)
        let oldestKeptGood = try #require(plan.last { $0.isKept && $0.backup.manifest.passedCheck })
        for decision in plan where !decision.backup.manifest.passedCheck {
            #expect(decision.isKept == (decision.backup.manifest.created > oldestKeptGood.backup.manifest.created))
            #expect(decision.reasons.count == 1 && decision.reasons[0].hasPrefix("check failed: "))
        }
    }

    @Test("failed backups never displace good ones", arguments: seeds)
    func failuresDisplaceNothing(seed: UInt64) {
        let history = History(seed: seed)
        let withFailures = history.plan().filter(\.backup.manifest.passedCheck)
        let withoutFailures = history.plan(history.backups.filter(\.manifest.passedCheck))
        #expect(withFailures == withoutFailures)
    }

    @Test("planning again over what a prune left deletes nothing more", arguments: seeds)
    func idempotent(seed: UInt64) {
        let history = History(seed: seed)
        let first = history.plan()
        #expect(first.contains { !$0.isKept } || history.backups.count < 10)
        let second = history.plan(first.filter(\.isKept).map(\.backup))
        #expect(second.allSatisfy { $0.isKept })
        #expect(second == first.filter(\.isKept))
    }

    @Test("a dry run and a real prune agree, and the store holds exactly what was kept", arguments: seeds.prefix(10))
    func dryRunAgrees(seed: UInt64) throws {
        let history = History(seed: seed)
        let store = try InMemoryStore(history.backups, location: "/backups")
        let pruner = Pruner(now: { history.now })
        let dryRun = try pruner.plan("app", in: store, policy: history.policy, timeZone: history.timeZone)
        #expect(try store.all.count == history.backups.count)
        let pruned = try pruner.prune(
            "app", in: store, policy: history.policy, timeZone: history.timeZone,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        #expect(dryRun == pruned)
        #expect(dryRun == history.plan())
        #expect(Set(try store.all.map(\.id)) == Set(pruned.filter(\.isKept).map(\.backup.id)))
        let again = try pruner.prune(
            "app", in: store, policy: history.policy, timeZone: history.timeZone,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        #expect(again.allSatisfy { $0.isKept })
    }
}

extension RetentionPropertyTests {
    /// Snapshots from one generated history and stored dumps from another, under one policy.
    struct MixedHistory {
        let snapshots: History
        let dumps: [StoredBackup]

        init(seed: UInt64) {
            snapshots = History(seed: seed)
            let stems = Set(snapshots.backups.map(\.id.stem))
            // A dump never shares a stem with a snapshot (the engine gives it the next `_N`).
            dumps = History(seed: seed &+ 10_000).backups.map(F.dump).filter { !stems.contains($0.id.stem) }
        }

        var all: [StoredBackup] { snapshots.backups + dumps }
    }

    @Test("snapshots and dumps are counted apart: each kind's plan is the plan of that kind alone", arguments: seeds)
    func kindsCountedApart(seed: UInt64) {
        let history = MixedHistory(seed: seed)
        #expect(!history.dumps.isEmpty)
        let mixed = history.snapshots.plan(history.all)
        #expect(mixed.count == history.all.count)
        #expect(mixed.filter { !$0.backup.manifest.isDump } == history.snapshots.plan())
        #expect(mixed.filter(\.backup.manifest.isDump) == history.snapshots.plan(history.dumps))
        // keep_last N keeps N of each (when each has N good ones).
        let keepLast = history.snapshots.policy.keepLast
        for kind in BackupKind.allCases {
            let kept = mixed.filter {
                $0.backup.manifest.backupKind == kind && $0.reasons.contains { $0.hasPrefix("last ") }
            }
            #expect(
                kept.count
                    == min(
                        keepLast, history.all.filter { $0.manifest.backupKind == kind && $0.manifest.passedCheck }.count
                    ))
        }
        // Newest first across both kinds, as a listing is.
        #expect(mixed.map(\.backup.manifest.created) == mixed.map(\.backup.manifest.created).sorted(by: >))
    }

    @Test("a prune over a store holding both kinds keeps exactly each kind's plan", arguments: seeds.prefix(10))
    func pruneKeepsEachKindsPlan(seed: UInt64) throws {
        let history = MixedHistory(seed: seed)
        let store = try InMemoryStore(history.all, location: "/backups")
        let policy = history.snapshots.policy
        let pruned = try Pruner(now: { history.snapshots.now }).prune(
            "app", in: store, policy: policy, timeZone: history.snapshots.timeZone,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let expected =
            history.snapshots.plan().filter(\.isKept).map(\.backup.id)
            + history.snapshots.plan(history.dumps).filter(\.isKept).map(\.backup.id)
        #expect(Set(try store.all.map(\.id)) == Set(expected))
        #expect(Set(pruned.filter(\.isKept).map(\.backup.id)) == Set(expected))
        #expect(try store.all.contains { $0.manifest.isDump } && store.all.contains { !$0.manifest.isDump })
    }
}

/// SplitMix64: a tiny seeded generator, so a failing history can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
