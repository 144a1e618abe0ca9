import Yams

extension ConfigurationReader {
    /// Reads a `retention` mapping; a policy that would keep nothing is an error.
    func retention(_ node: Node, at path: String) -> Setting<RetentionPolicy> {
        guard let fields = fields(of: node, in: .retention, prefix: path) else {
            error(
                "\(path): expected a mapping such as `{ keep_last: 3, keep_daily: 7 }`, got \(describe(node))", at: node
            )
            return .invalid
        }
        var policy = RetentionPolicy()
        var valid = true
        let counts: [(ConfigurationKey, WritableKeyPath<RetentionPolicy, Int>)] = [
            (.keepLast, \.keepLast), (.keepHourly, \.keepHourly), (.keepDaily, \.keepDaily),
            (.keepWeekly, \.keepWeekly), (.keepMonthly, \.keepMonthly), (.keepYearly, \.keepYearly),
        ]
        for (key, property) in counts {
            guard let value = fields[key] else { continue }
            if let count = wholeNumber(value, at: fields.path(key), minimum: 0) {
                policy[keyPath: property] = count
            } else {
                valid = false
            }
        }
        if let value = fields[.keepWithin] {
            policy.keepWithin = duration(value, at: fields.path(.keepWithin))
            valid = valid && policy.keepWithin != nil
        }
        guard valid, !fields.hasUnknownKeys else { return .invalid }
        if policy.keepsNothing {
            error(
                "\(path) keeps nothing: set keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly or keep_yearly above 0, or keep_within, e.g. `retention: { keep_last: 3 }`",
                at: node)
            return .invalid
        }
        return .set(policy, node)
    }
}
