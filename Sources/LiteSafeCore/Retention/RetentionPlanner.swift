import Foundation

/// Decides which backups a retention policy keeps: a pure function of the backups, the policy,
/// the time zone and the time, so `prune --dry-run`, a prune and the tests all see one answer.
///
/// The rules, as restic and borg apply them:
/// - `keep_last N` keeps the N newest good backups.
/// - `keep_hourly`/`daily`/`weekly`/`monthly`/`yearly N` keep the newest good backup of each of the
///   N most recent periods that have a good backup, read in `timeZone` (weeks are ISO weeks,
///   starting on Monday). Periods without backups are skipped, not counted.
/// - `keep_within D` keeps every good backup created after `now − D`.
/// - A backup any rule keeps is kept; the newest good backup is always kept.
/// - A backup dated after `now` (the wall clock was set back since it was made) is kept and
///   takes no slot until the clock passes it; otherwise every backup made in the hour after the
///   clock went back an hour would be pruned the moment it was committed, as older than those
///   made before.
///
/// "Good" means the manifest's check passed (`… ok`). Any other backup neither fills a slot nor
/// pushes a good one out: it is kept while it is newer than the oldest kept good backup (it may
/// still be the only copy of recent data) and deleted once it is older; when no backup is good,
/// every backup is kept.
///
/// Snapshots and stored dumps are counted apart, each by all of these rules: `keep_last 3`
/// keeps three snapshots and three dumps, and a dump never pushes a snapshot out (nor the
/// reverse).
///
/// Planning is idempotent: planning again over the backups a plan keeps keeps them all.
public enum RetentionPlanner {
    public static func plan(backups: [StoredBackup], policy: RetentionPolicy, timeZone: TimeZone, now: Date)
        -> [RetentionDecision]
    {
        let kinds = Dictionary(grouping: backups, by: \.manifest.backupKind)
        guard kinds.count > 1 else {
            return planOneKind(backups: backups, policy: policy, timeZone: timeZone, now: now)
        }
        return kinds.values
            .flatMap { planOneKind(backups: $0, policy: policy, timeZone: timeZone, now: now) }
            .sorted {
                ($0.backup.manifest.created, $0.backup.id.stem) > ($1.backup.manifest.created, $1.backup.id.stem)
            }
    }

    /// The plan for backups of one kind.
    private static func planOneKind(backups: [StoredBackup], policy: RetentionPolicy, timeZone: TimeZone, now: Date)
        -> [RetentionDecision]
    {
        let ordered = backups.sorted {
            ($0.manifest.created, $0.id.stem) > ($1.manifest.created, $1.id.stem)
        }
        let fromTheFuture = Set(ordered.indices.filter { ordered[$0].manifest.created > now })
        let good = ordered.indices.filter { ordered[$0].manifest.passedCheck && !fromTheFuture.contains($0) }
        var reasons = [[String]](repeating: [], count: ordered.count)

        for (rank, index) in good.prefix(max(policy.keepLast, 0)).enumerated() {
            reasons[index].append("last \(rank + 1)/\(policy.keepLast)")
        }
        let labels = good.map { RetentionPeriod.labels(of: ordered[$0].manifest.created, in: timeZone) }
        for period in RetentionPeriod.allCases where period.count(in: policy) > 0 {
            var seen = Set<String>()
            for (position, index) in good.enumerated() {
                guard seen.count < period.count(in: policy) else { break }
                let label = labels[position][period]!
                // Newest first, so the first backup met in a period is that period's newest.
                if seen.insert(label).inserted { reasons[index].append("\(period.rawValue) \(label)") }
            }
        }
        if let within = policy.keepWithin, within > .zero {
            let cutoff = now.addingTimeInterval(-within.seconds)
            for index in good where ordered[index].manifest.created > cutoff {
                reasons[index].append("within \(formatDuration(within))")
            }
        }
        if let newest = good.first, reasons[newest].isEmpty {
            reasons[newest].append("newest good backup")
        }

        let oldestKeptGood = good.last { !reasons[$0].isEmpty }
        return ordered.indices.map { index in
            let backup = ordered[index]
            if fromTheFuture.contains(index) {
                return RetentionDecision(
                    backup: backup, action: .keep,
                    reasons: ["dated after now (the clock was set back): kept until the clock passes it"])
            }
            if backup.manifest.passedCheck {
                return reasons[index].isEmpty
                    ? RetentionDecision(backup: backup, action: .delete, reasons: ["no rule keeps it"])
                    : RetentionDecision(backup: backup, action: .keep, reasons: reasons[index])
            }
            guard let oldestKeptGood else {
                return RetentionDecision(
                    backup: backup, action: .keep, reasons: ["check failed: kept, no backup has passed its check"])
            }
            let since = BackupName.iso8601Seconds(ordered[oldestKeptGood].manifest.created)
            return index < oldestKeptGood
                ? RetentionDecision(
                    backup: backup, action: .keep,
                    reasons: ["check failed: kept until older than the oldest kept good backup (\(since))"])
                : RetentionDecision(
                    backup: backup, action: .delete,
                    reasons: ["check failed: older than the oldest kept good backup (\(since))"])
        }
    }
}
