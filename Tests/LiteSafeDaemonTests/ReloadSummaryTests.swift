import Foundation
import LiteSafeCore
import LiteSafeDaemon
import Testing

@Suite struct ReloadSummaryTests {
    func database(_ name: String, compression: Compression = .default) -> Configuration.Database {
        Configuration.Database(
            name: name, path: "/srv/\(name).db", store: .directory("/backups"), compression: compression,
            encryption: .none)
    }

    func configuration(_ databases: [Configuration.Database], maxConcurrent: Int = 1) -> Configuration {
        Configuration(
            maxConcurrentBackups: maxConcurrent, databases: databases, sourceFile: "/etc/litesafe/litesafe.yml")
    }

    @Test func namesEveryKindOfChange() {
        let old = configuration([database("app"), database("old"), database("web")])
        let new = configuration(
            [database("app"), database("crm"), database("web", compression: .zstd(level: 9))], maxConcurrent: 2)
        let changes = Scheduler.Changes(added: ["crm"], removed: ["old"], changed: [])
        #expect(
            ReloadSummary.describe(from: old, to: new, changes: changes)
                == "added crm; removed old (backups kept); changed the settings of web; max_concurrent_backups 1 → 2")
    }

    @Test func rescheduledDatabasesAreNotListedTwice() {
        let old = configuration([database("app")])
        var changed = database("app", compression: .none)
        changed.schedule = .every(.seconds(60))
        let summary = ReloadSummary.describe(
            from: old, to: configuration([changed]), changes: Scheduler.Changes(changed: ["app"]))
        #expect(summary == "rescheduled app")
    }

    @Test func nothingChanged() {
        let same = configuration([database("app")])
        #expect(ReloadSummary.describe(from: same, to: same, changes: Scheduler.Changes()) == "nothing changed")
        var moved = same
        moved.stateDirectory = "/srv/state"
        #expect(
            ReloadSummary.describe(from: same, to: moved, changes: Scheduler.Changes()) == "changed global settings")
    }
}
