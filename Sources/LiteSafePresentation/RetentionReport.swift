import Foundation
import LiteSafeCore

/// How `litesafe prune` shows a plan: one line per backup, newest first, with what happens to it
/// and why, times in the zone the calendar rules use.
///
/// ```
/// app: keep_last 2, keep_daily 7; time zone Europe/Berlin
///   keep    2026-11-26 13:00:03 +01:00  app-20261126T120003.123456Z.sqlite.zst.age  last 1/2, daily 2026-11-26
///   delete  2026-11-26 07:00:03 +01:00  app-20261126T060003.123456Z.sqlite.zst.age  no rule keeps it
/// app: kept 1, deleted 1
/// ```
public enum RetentionReport {
    public static func text(
        database: String, policy: RetentionPolicy, timeZone: TimeZone, decisions: [RetentionDecision], dryRun: Bool
    ) -> String {
        var lines = ["\(database): \(policy); time zone \(timeZone.configurationName)"]
        for decision in decisions {
            let action = decision.action.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
            lines.append(
                "  \(action)  \(localTime(decision.backup.manifest.created, in: timeZone))  \(decision.backup.manifest.file)  \(decision.reasons.joined(separator: ", "))"
            )
        }
        let kept = decisions.filter(\.isKept).count
        let deleted = decisions.count - kept
        lines.append(
            dryRun
                ? "\(database): would keep \(kept), would delete \(deleted) (dry run: nothing was deleted)"
                : "\(database): kept \(kept), deleted \(deleted)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `2026-11-26 13:00:03 +01:00`: the wall-clock time in `timeZone`, with its offset.
    public static func localTime(_ date: Date, in timeZone: TimeZone) -> String {
        let local = CivilDate.local(date, in: timeZone)
        let offset = timeZone.secondsFromGMT(for: date)
        let minutes = abs(offset) / 60
        let zone = String(format: "%@%02d:%02d", offset < 0 ? "-" : "+", minutes / 60, minutes % 60)
        return "\(local.dateText) \(local.timeText) \(zone)"
    }
}
