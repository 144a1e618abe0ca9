import Foundation
import LiteSafeCore

extension Configuration {
    /// What this configuration will do, as `check-config` prints it: global settings, then each
    /// database with its destination folder and when it is next backed up after `now`.
    public func summary(now: Date) -> String {
        let count = databases.count == 1 ? "1 database" : "\(databases.count) databases"
        var lines = [
            "\(sourceFile): valid, \(count)",
            row("time zone", timeZone.configurationName),
            row("max concurrent backups", "\(maxConcurrentBackups)"),
            row("backup CPU priority", backupCPUPriority.rawValue),
            row(
                "state directory",
                "\(stateDirectory) (staging in \(stagingDirectory), for rollback-journal databases and jobs with an S3 store; WAL databases to folders need no staging space)"
            ),
            row("metrics textfile", metricsTextfile ?? "none"),
            row(
                "verify schedule",
                verifySchedule.map {
                    describe(ScheduledJob(name: "verify", schedule: $0, timeZone: timeZone), now: now)
                }
                    ?? "none"),
            row("verify identity", verifyIdentity ?? "none"),
        ]
        for database in databases {
            lines += [
                "",
                "database \(database.name)",
                row("path", database.path),
            ]
            if database.stores.count == 1, database.stores[0].name == Configuration.NamedStore.destinationName {
                lines.append(row("destination", database.destination))
            } else {
                for store in database.stores {
                    lines.append(
                        row(
                            "store \(store.name)",
                            describe(store.location, of: database.name)
                                + (store.retention.map { " (retention \($0))" } ?? "")))
                }
            }
            lines += [
                row("schedule", describe(database.scheduledJob(in: timeZone), now: now)),
                row(
                    "dump schedule",
                    database.scheduledDumpJob(in: timeZone).map {
                        describe($0, now: now).replacingOccurrences(of: "previous backup", with: "previous dump")
                    } ?? "none"),
                row("encryption", describe(database.encryption)),
                row("retention", database.retention.description),
                row(
                    "snapshot",
                    "checkpoint \(database.checkpoint.rawValue), integrity check \(database.integrityCheck.rawValue), compression \(database.compression), busy timeout \(formatDuration(database.busyTimeout))"
                ),
            ]
        }
        return lines.joined(separator: "\n")
    }

    private func row(_ label: String, _ value: String) -> String {
        "  " + label.padding(toLength: 24, withPad: " ", startingAt: 0) + value
    }

    /// A store as the summary shows it: where the database's backups go, and how an S3 store
    /// is reached (never its credentials, only where they come from).
    private func describe(_ location: StoreLocation, of database: String) -> String {
        guard case .s3(let bucket) = location else { return location.description(of: database) }
        var details = ["region \(bucket.region)"]
        if let endpoint = bucket.endpoint { details.append("endpoint \(endpoint)") }
        if bucket.pathStyle { details.append("path style") }
        details.append("credentials \(bucket.credentialsFile ?? "from AWS_* environment")")
        if let storageClass = bucket.storageClass { details.append("storage class \(storageClass)") }
        if let lock = bucket.objectLock { details.append("object lock \(lock)") }
        if let caFile = bucket.caFile { details.append("CA file \(caFile)") }
        return location.description(of: database) + " (" + details.joined(separator: ", ") + ")"
    }

    private func describe(_ encryption: Encryption) -> String {
        switch encryption {
        case .none: "NONE (plaintext)"
        case .recipients(let recipients): recipients.count == 1 ? "1 recipient" : "\(recipients.count) recipients"
        }
    }

    /// When a job runs next, as far as the configuration alone tells.
    ///
    /// A cron job's next time (shifted by its fixed jitter offset, as the scheduler does) is
    /// exact. An interval job counts from its previous backup, which only the store knows.
    private func describe(_ job: ScheduledJob, now: Date) -> String {
        switch job.schedule {
        case .every(let interval):
            var text =
                "\(job.schedule): next \(formatDuration(interval)) after the previous backup started, or soon after startup if overdue"
            if job.jitter > .zero { text += ", jitter up to \(formatDuration(job.jitter))" }
            return text
        case .cron(let expression):
            let offset = Double(job.jitterOffset.components.seconds)
            var text = "\(expression)"
            if job.jitterOffset > .zero { text += " + \(formatDuration(job.jitterOffset)) jitter" }
            guard let slot = expression.nextDate(after: now.addingTimeInterval(-offset), in: timeZone) else {
                return text + ", never runs"
            }
            let next = slot.addingTimeInterval(offset)
            let wait = Duration.seconds(Int64(next.timeIntervalSince(now).rounded()))
            return text + ", next \(format(next)) (in \(formatDuration(wait)))"
        }
    }

    /// `2025-06-02 03:00:00 Europe/Berlin`: wall-clock time in the configured zone, as cron reads it.
    private func format(_ date: Date) -> String {
        let local = CivilDate.local(date, in: timeZone)
        return "\(local.dateText) \(local.timeText) \(timeZone.configurationName)"
    }
}
