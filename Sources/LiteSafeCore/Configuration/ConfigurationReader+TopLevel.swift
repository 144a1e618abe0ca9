import Foundation
import Yams

extension ConfigurationReader {
    /// Reads the top-level mapping; invalid values are reported and replaced by defaults so the
    /// rest of the file is still checked (the result is then discarded).
    func readTopLevel(_ root: Node) -> Configuration? {
        guard let top = fields(of: root, in: .topLevel, prefix: "") else {
            error("expected a mapping of settings at the top level, got \(describe(root))", at: root)
            return nil
        }
        var configuration = Configuration(databases: [], sourceFile: source)
        if let node = top[.timeZone], let zone = timeZone(node, at: top.path(.timeZone)) {
            configuration.timeZone = zone
        }
        if let node = top[.maxConcurrentBackups],
            let count = wholeNumber(node, at: top.path(.maxConcurrentBackups), minimum: 1)
        {
            configuration.maxConcurrentBackups = count
        }
        if let node = top[.backupCPUPriority] {
            let priorities = CPUPriority.allCases.map(\.rawValue)
            if let priority = choice(
                node, at: top.path(.backupCPUPriority), expected: Self.sentence(priorities), candidates: priorities,
                parse: CPUPriority.init(rawValue:))
            {
                configuration.backupCPUPriority = priority
            }
        }
        if let node = top[.stateDirectory], let folder = absolutePath(node, at: top.path(.stateDirectory)) {
            configuration.stateDirectory = folder
        }
        if let node = top[.metricsTextfile], let file = absolutePath(node, at: top.path(.metricsTextfile)) {
            configuration.metricsTextfile = file
            checkMetricsFolder(file, at: node, fieldPath: top.path(.metricsTextfile))
        }
        if let node = top[.verifySchedule] {
            configuration.verifySchedule = schedule(node, at: top.path(.verifySchedule))
        }
        if let node = top[.verifyIdentity], let file = absolutePath(node, at: top.path(.verifyIdentity)) {
            configuration.verifyIdentity = file
            checkIdentity(file, at: node, fieldPath: top.path(.verifyIdentity))
        }
        if let node = top[.stores] {
            configuration.stores = readStores(node)
        }
        var defaults = Settings()
        if let node = top[.defaults] {
            if let fields = fields(of: node, in: .defaults, prefix: "defaults") {
                defaults = settings(in: fields)
            } else {
                error(
                    "defaults: expected a mapping of settings such as `schedule: every 1h`, got \(describe(node))",
                    at: node)
            }
        }
        if top[.databases] != nil || !top.misspelt.contains(.databases) {
            configuration.databases = databases(top[.databases], in: root, defaults: defaults)
            warnAboutUnusedStores()
        }
        return configuration
    }
}
