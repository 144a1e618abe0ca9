import Testing

@testable import LiteSafeCore

/// `RetentionPolicy` as data, and the typo hints the loader builds on.
@Suite struct ConfigurationRetentionTests {
    @Test(arguments: [
        (RetentionPolicy(), true),
        (RetentionPolicy(keepLast: 0, keepDaily: 0), true),
        (RetentionPolicy(keepWithin: .zero), true),
        (RetentionPolicy(keepLast: 1), false),
        (RetentionPolicy(keepYearly: 1), false),
        (RetentionPolicy(keepWithin: .seconds(60)), false),
    ])
    func knowsWhenAPolicyKeepsNothing(policy: RetentionPolicy, keepsNothing: Bool) {
        #expect(policy.keepsNothing == keepsNothing)
    }

    @Test func describesTheRulesThatKeepSomething() {
        #expect(
            RetentionPolicy(keepLast: 3, keepWeekly: 4, keepWithin: .seconds(90_000)).description
                == "keep_last 3, keep_weekly 4, keep_within 1d1h")
        #expect(RetentionPolicy().description == "nothing")
    }

    @Test(arguments: [
        ("scheduel", "schedule"), ("Schedule", "schedule"), ("jiter", "jitter"), ("keep_dayly", "keep_daily"),
        ("destinaton", "destination"), ("compresion", "compression"), ("databse", "databases"),
    ])
    func suggestsTheNearestKey(typo: String, intended: String) {
        let keys = ConfigurationKey.allCases.map(\.rawValue)
        #expect(ConfigurationSuggestion.nearest(to: typo, among: keys) == intended)
    }

    @Test func suggestsNothingForUnrelatedWords() {
        #expect(
            ConfigurationSuggestion.nearest(to: "backup_everything", among: ConfigurationKey.allCases.map(\.rawValue))
                == nil)
        #expect(ConfigurationSuggestion.nearest(to: "xyz", among: ["schedule", "path"]) == nil)
    }

    @Test func countsASwapOfNeighboursAsOneEdit() {
        #expect(ConfigurationSuggestion.editDistance("scheduel", "schedule") == 1)
        #expect(ConfigurationSuggestion.editDistance("", "abc") == 3)
        #expect(ConfigurationSuggestion.editDistance("kitten", "sitting") == 3)
    }
}
