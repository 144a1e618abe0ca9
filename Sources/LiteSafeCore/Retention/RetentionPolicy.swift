/// Which backups of one database to keep when old ones are pruned.
///
/// Each count keeps the newest backup in that many distinct periods (the last N backups, hours,
/// days, …), as restic and borg do; `keepWithin` keeps every backup younger than the duration.
/// A backup kept by any rule is kept. This type only holds and checks the rules; pruning lives
/// elsewhere.
public struct RetentionPolicy: Sendable, Hashable, CustomStringConvertible {
    public var keepLast: Int
    public var keepHourly: Int
    public var keepDaily: Int
    public var keepWeekly: Int
    public var keepMonthly: Int
    public var keepYearly: Int
    public var keepWithin: Duration?

    /// What a database keeps when neither it nor `defaults` sets `retention`.
    public static let `default` = RetentionPolicy(keepLast: 3)

    public init(
        keepLast: Int = 0, keepHourly: Int = 0, keepDaily: Int = 0, keepWeekly: Int = 0,
        keepMonthly: Int = 0, keepYearly: Int = 0, keepWithin: Duration? = nil
    ) {
        self.keepLast = keepLast
        self.keepHourly = keepHourly
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
        self.keepYearly = keepYearly
        self.keepWithin = keepWithin
    }

    /// The rules by their configuration keys, in the order the file documents them.
    public var counts: [(key: String, count: Int)] {
        [
            ("keep_last", keepLast), ("keep_hourly", keepHourly), ("keep_daily", keepDaily),
            ("keep_weekly", keepWeekly), ("keep_monthly", keepMonthly), ("keep_yearly", keepYearly),
        ]
    }

    /// True when no rule would keep any backup, which would prune even the newest one.
    public var keepsNothing: Bool {
        counts.allSatisfy { $0.count <= 0 } && (keepWithin ?? .zero) <= .zero
    }

    /// The rules that keep something, as `keep_last 3, keep_daily 7, keep_within 2d`.
    public var description: String {
        var parts = counts.filter { $0.count > 0 }.map { "\($0.key) \($0.count)" }
        if let keepWithin, keepWithin > .zero { parts.append("keep_within \(formatDuration(keepWithin))") }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }
}
