import Foundation
import LiteSafeCore

/// The one line `systemctl status litesafe` shows, e.g.
/// `3 databases · last: app ok 12:00:03 (4.1 MB) · next: app 12:15:00 · 0 failing`.
///
/// A pure value: the daemon fills it in from its state after every change, and `text(now:timeZone:)`
/// formats it, so tests check the wording without a daemon.
public struct StatusLine: Sendable, Hashable, CustomStringConvertible {
    /// The latest backup that ended (or, at start, the newest one in the store).
    public struct LastBackup: Sendable, Hashable {
        public var name: String
        public var succeeded: Bool
        /// When it started, which is also the time in its file name.
        public var date: Date
        /// Its stored size, when it succeeded.
        public var storedSize: Int64?

        public init(name: String, succeeded: Bool, date: Date, storedSize: Int64? = nil) {
            self.name = name
            self.succeeded = succeeded
            self.date = date
            self.storedSize = storedSize
        }
    }

    /// The soonest backup not running yet.
    public struct NextBackup: Sendable, Hashable {
        public var name: String
        public var date: Date

        public init(name: String, date: Date) {
            self.name = name
            self.date = date
        }
    }

    public var databases: Int
    /// The databases being backed up now, sorted.
    public var running: [String]
    public var last: LastBackup?
    public var next: NextBackup?
    /// How many databases' latest backup failed.
    public var failing: Int
    /// Whether the latest reload was refused, so the daemon runs an older configuration than the file's.
    public var reloadFailed: Bool
    /// Whether the daemon is stopping (`running` are then the backups being cancelled).
    public var stopping: Bool
    /// Whether a scheduled verification is running.
    public var verifying: Bool
    /// The databases whose latest verification failed, sorted.
    public var verifyFailing: [String]

    public init(
        databases: Int, running: [String] = [], last: LastBackup? = nil, next: NextBackup? = nil, failing: Int = 0,
        reloadFailed: Bool = false, stopping: Bool = false, verifying: Bool = false, verifyFailing: [String] = []
    ) {
        self.databases = databases
        self.running = running
        self.last = last
        self.next = next
        self.failing = failing
        self.reloadFailed = reloadFailed
        self.stopping = stopping
        self.verifying = verifying
        self.verifyFailing = verifyFailing
    }

    /// The line, with times of day in `timeZone` (the configuration's, which cron schedules use)
    /// and a date only for times on another day than `now`.
    public func text(now: Date, timeZone: TimeZone) -> String {
        if stopping {
            return running.isEmpty ? "stopping" : "stopping · cancelling: " + running.joined(separator: ", ")
        }
        var parts = [databases == 1 ? "1 database" : "\(databases) databases"]
        if !running.isEmpty { parts.append("backing up: " + running.joined(separator: ", ")) }
        if verifying { parts.append("verifying") }
        if let last {
            var text = "last: \(last.name) \(last.succeeded ? "ok" : "failed") "
            text += Self.time(last.date, now: now, timeZone: timeZone)
            if let size = last.storedSize { text += " (\(ByteCount(size)))" }
            parts.append(text)
        } else {
            parts.append("last: none")
        }
        parts.append(
            "next: " + (next.map { "\($0.name) " + Self.time($0.date, now: now, timeZone: timeZone) } ?? "none"))
        parts.append("\(failing) failing")
        if !verifyFailing.isEmpty { parts.append("verify FAILED: " + verifyFailing.joined(separator: ", ")) }
        if reloadFailed { parts.append("reload failed: see journal") }
        return parts.joined(separator: " · ")
    }

    /// The line in UTC, for debugging output.
    public var description: String { text(now: Date(), timeZone: TimeZone.utc) }

    /// `12:15:00`, or `2026-11-27 03:00:00` when `date` falls on another day than `now`.
    static func time(_ date: Date, now: Date, timeZone: TimeZone) -> String {
        let local = CivilDate.local(date, in: timeZone)
        if local.daysSinceEpoch == CivilDate.local(now, in: timeZone).daysSinceEpoch { return local.timeText }
        return local.dateText + " " + local.timeText
    }
}
