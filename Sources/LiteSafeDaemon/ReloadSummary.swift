import LiteSafeCore

/// What a reload changed, in the words of the `reloadSucceeded` log line.
public enum ReloadSummary {
    /// For example `added crm; removed old (its backups are kept); rescheduled app`, or
    /// `nothing changed`.
    ///
    /// - Parameter changes: What the scheduler did with the new schedules.
    public static func describe(from old: Configuration, to new: Configuration, changes: Scheduler.Changes) -> String {
        var parts: [String] = []
        if !changes.added.isEmpty { parts.append("added " + changes.added.joined(separator: ", ")) }
        if !changes.removed.isEmpty {
            parts.append("removed " + changes.removed.joined(separator: ", ") + " (backups kept)")
        }
        if !changes.changed.isEmpty { parts.append("rescheduled " + changes.changed.joined(separator: ", ")) }
        let moved = new.movedDatabases(since: old)
        for (before, after) in moved {
            var what: [String] = []
            if before.path != after.path { what.append("backs up \(after.path)") }
            if before.destination != after.destination { what.append("stores its backups in \(after.destination)") }
            parts.append("\(after.name) now " + what.joined(separator: " and "))
        }
        let settled = Set(changes.added + changes.changed + moved.map(\.after.name))
        let updated = new.databases
            .filter { database in
                !settled.contains(database.name) && old.database(named: database.name).map { $0 != database } ?? false
            }
            .map(\.name)
            .sorted()
        if !updated.isEmpty { parts.append("changed the settings of " + updated.joined(separator: ", ")) }
        if old.maxConcurrentBackups != new.maxConcurrentBackups {
            parts.append("max_concurrent_backups \(old.maxConcurrentBackups) → \(new.maxConcurrentBackups)")
        }
        var oldGlobals = old
        var newGlobals = new
        (oldGlobals.databases, newGlobals.databases) = ([], [])
        (oldGlobals.maxConcurrentBackups, newGlobals.maxConcurrentBackups) = (0, 0)
        (oldGlobals.sourceFile, newGlobals.sourceFile) = ("", "")
        if oldGlobals != newGlobals { parts.append("changed global settings") }
        return parts.isEmpty ? "nothing changed" : parts.joined(separator: "; ")
    }
}
