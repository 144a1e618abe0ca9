import Foundation
import LiteSafeCore

extension StateReport {
    /// The report with the operator's next step added to `staleReason`: start the service,
    /// reload it, or read its journal.
    public var withAdvice: StateReport {
        var report = self
        guard stale, let reason = staleReason else { return report }
        switch daemon.status {
        case .neverRan: report.staleReason = reason + " (systemctl start litesafe)"
        case .running: report.staleReason = reason + " (systemctl reload litesafe)"
        case .stuck: report.staleReason = reason + "; see journalctl -u litesafe"
        case .stopped, .gone: break
        }
        return report
    }

    /// The report for scripts (`status --json`): keys stable, as the README lists them.
    public func json() throws -> String {
        String(decoding: try StateFile.encoder.encode(withAdvice), as: UTF8.self)
    }

    /// The report for people: a line about the daemon, a table with one row per database,
    /// then a line per failure with its reason, and the verification schedule.
    ///
    /// Times are ages ("3 min ago", "in 57 min"); absolute times are in `timeZone`.
    public func table(timeZone: TimeZone) -> String {
        var lines: [String] = [daemonLine(timeZone: timeZone)]
        if stale, let staleReason = withAdvice.staleReason {
            let since =
                staleSince.map { " since \(Self.date($0, timeZone: timeZone)) (\(Self.age($0, now: now)))" } ?? ""
            lines.append("STALE\(since): \(staleReason.escapingControlCharacters)")
        }
        lines.append("")
        var cells = [["DATABASE", "LAST BACKUP", "SIZE", "TOOK", "NEXT", "KEPT", "VERIFIED", "STATUS"]]
        for row in databases {
            cells.append([
                row.name,
                row.lastSuccess.map { Self.age($0.time, now: now) } ?? "never",
                row.lastSuccess.map { ByteCount($0.sizeBytes).description } ?? "-",
                row.lastSuccess?.durationSeconds.map(Self.seconds) ?? "-",
                row.running ? "running" : row.nextRun.map { Self.until($0, now: now) } ?? "-",
                row.retained.map(String.init) ?? "-",
                // A verification that found no backups to check vouches for nothing.
                row.lastVerification.flatMap {
                    $0.checked == 0 && $0.ok ? nil : "\(Self.age($0.time, now: now)) (\($0.kind.rawValue))"
                } ?? "-",
                Self.label(row.health),
            ])
        }
        lines += Self.align(cells)
        var notes: [String] = []
        for row in databases {
            if row.health == .failing, let failure = row.lastFailure {
                let times = row.consecutiveFailures == 1 ? "" : ", \(row.consecutiveFailures) times in a row"
                notes.append(
                    "\(row.name): last backup FAILED \(Self.age(failure.time, now: now))\(times): \(failure.reason.escapingControlCharacters)"
                )
            }
            if let verification = row.lastVerification, !verification.ok {
                notes.append(
                    "\(row.name): verification FAILED \(Self.age(verification.time, now: now)) (\(verification.failed) of \(verification.checked) backups): \(verification.reason?.escapingControlCharacters ?? "see journalctl -u litesafe")"
                )
            }
            for store in row.stores ?? [] where store.consecutiveFailures > 0 {
                guard let failure = store.lastFailure else { continue }
                let times = store.consecutiveFailures == 1 ? "" : ", \(store.consecutiveFailures) times in a row"
                let since = store.lastSuccess.map { "; last reached \(Self.age($0, now: now))" } ?? "; never reached"
                notes.append(
                    "\(row.name): store \(store.name) FAILED \(Self.age(failure.time, now: now))\(times)\(since): \(failure.reason.escapingControlCharacters)"
                )
            }
            if let dump = row.lastDump {
                notes.append(
                    "\(row.name): last dump \(Self.age(dump.time, now: now)) (\(ByteCount(dump.sizeBytes)))")
            }
            if let failure = row.lastDumpFailure, failure.time > row.lastDump?.time ?? .distantPast {
                notes.append(
                    "\(row.name): last dump FAILED \(Self.age(failure.time, now: now)): \(failure.reason.escapingControlCharacters)"
                )
            }
            if row.health == .noBackupYet {
                notes.append("\(row.name): no backup yet")
            }
        }
        if !notes.isEmpty { lines += [""] + notes }
        if let verification {
            var text = "verification: \(verification.kind.rawValue) \(verification.schedule)"
            if verification.running && daemon.status == .running {
                text += ", running now"
            } else if let last = verification.lastEnd {
                text += ", last \(Self.age(last, now: now))"
            } else {
                text += ", not run yet"
            }
            if daemon.status == .running, let next = verification.nextRun {
                text += ", next \(Self.until(next, now: now))"
            }
            lines += ["", text]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func daemonLine(timeZone: TimeZone) -> String {
        let pid = daemon.pid.map { "pid \($0)" } ?? ""
        let updated = daemon.updated.map { "; state written \(Self.age($0, now: now))" } ?? ""
        switch daemon.status {
        case .running:
            let since = daemon.started.map { ", up since \(Self.date($0, timeZone: timeZone))" } ?? ""
            return "litesafe daemon: running (\(pid)\(since))\(updated)"
        case .stopped:
            let when = daemon.stopped.map { " at \(Self.date($0, timeZone: timeZone))" } ?? ""
            return "litesafe daemon: stopped\(when)"
        case .gone:
            return "litesafe daemon: NOT RUNNING (\(pid) is gone)\(updated)"
        case .stuck:
            return "litesafe daemon: NOT RESPONDING (\(pid))\(updated)"
        case .neverRan:
            return "litesafe daemon: no state yet"
        }
    }

    static func label(_ health: Health) -> String {
        switch health {
        case .ok: "ok"
        case .failing: "FAILED"
        case .verifyFailed: "VERIFY FAILED"
        case .storeFailing: "STORE FAILED"
        case .unknown: "unknown"
        case .noBackupYet: "no backup yet"
        }
    }

    /// Columns padded to their widest cell, two spaces apart; the last one unpadded.
    static func align(_ rows: [[String]]) -> [String] {
        guard let columns = rows.first?.count else { return [] }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == columns - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            .joined(separator: "  ")
        }
    }

    /// `just now`, `42 s ago`, `3 min ago`, `5 h ago`, `2 d ago`; `in 57 min` for the future.
    public static func age(_ date: Date, now: Date) -> String {
        let seconds = Int(now.timeIntervalSince(date).rounded())
        if seconds < 0 {
            let ahead = -seconds
            return ahead < 1 ? "now" : "in " + span(ahead)
        }
        return seconds < 2 ? "just now" : span(seconds) + " ago"
    }

    /// `in 57 min`, or `due now` for a time that has come (a run about to start or queued).
    static func until(_ date: Date, now: Date) -> String {
        let seconds = Int(date.timeIntervalSince(now).rounded())
        return seconds < 1 ? "due now" : "in " + span(seconds)
    }

    private static func span(_ seconds: Int) -> String {
        switch seconds {
        case ..<60: "\(seconds) s"
        case ..<3_600: "\(seconds / 60) min"
        case ..<(48 * 3_600): "\(seconds / 3_600) h"
        default: "\(seconds / 86_400) d"
        }
    }

    private static func seconds(_ value: Double) -> String {
        value < 0.1
            ? "<0.1 s"
            : value < 10 ? String(format: "%.1f s", value) : value < 120 ? "\(Int(value)) s" : "\(Int(value) / 60) min"
    }

    /// `2026-11-26 12:00:00 UTC`.
    static func date(_ date: Date, timeZone: TimeZone) -> String {
        let local = CivilDate.local(date, in: timeZone)
        // A zone's abbreviation (CET, CEST) says whether summer time applies; UTC is UTC.
        let zone =
            timeZone.configurationName == "UTC"
            ? "UTC" : timeZone.abbreviation(for: date) ?? timeZone.identifier
        return "\(local.dateText) \(local.timeText) \(zone)"
    }
}
