import Foundation
import Testing

@testable import LiteSafeCore
@testable import LiteSafePresentation

@Suite("StateReport: what litesafe status says")
struct StateReportTests {
    let now = ISO8601DateFormatter().date(from: "2026-11-26T12:10:00Z")!
    let configuration = Configuration(
        databases: ["app", "crm"].map {
            Configuration.Database(
                name: $0, path: "/srv/\($0).db", store: .directory("/backups"), encryption: .none)
        }, sourceFile: "/etc/litesafe/litesafe.yml")

    func state(updatedAgo: TimeInterval = 10, _ change: (inout DaemonState) -> Void = { _ in }) -> DaemonState {
        var state = DaemonState(
            pid: 4242, started: now.addingTimeInterval(-3_600), updated: now.addingTimeInterval(-updatedAgo),
            configFile: "/etc/litesafe/litesafe.yml")
        for name in ["app", "crm"] {
            state.update(name) {
                $0.lastSuccess = DaemonState.Backup(
                    time: now.addingTimeInterval(-180), file: "\(name)-20261126T120700.000000Z.sqlite.zst.age",
                    sizeBytes: 4_100_000, durationSeconds: 1.25)
                $0.nextRun = now.addingTimeInterval(57 * 60)
                $0.retained = 3
            }
        }
        change(&state)
        return state
    }

    func report(_ state: DaemonState?, running: Bool = true) -> StateReport {
        StateReport(
            configuration: configuration, state: state, stateFile: "/var/lib/litesafe/state.json",
            daemonRunning: running, now: now)
    }

    @Test("no state file: stale, exit 3, every database listed as unknown")
    func beforeTheDaemonEverRan() {
        let report = report(nil)
        #expect(report.exitCode == 3)
        #expect(report.daemon.status == .neverRan)
        #expect(report.databases.map(\.health) == [.unknown, .unknown])
        let table = report.table(timeZone: .gmt)
        #expect(table.hasPrefix("litesafe daemon: no state yet\nSTALE: no state file /var/lib/litesafe/state.json"))
        #expect(table.contains("app       never"))
    }

    @Test("running, before any backup: exit 0 and 'no backup yet'")
    func beforeAnyBackup() {
        let report = report(state { state in state.databases = state.databases.map { .init(name: $0.name) } })
        #expect(report.exitCode == 0)
        #expect(report.databases.map(\.health) == [.noBackupYet, .noBackupYet])
        #expect(report.table(timeZone: .gmt).contains("\napp: no backup yet\ncrm: no backup yet\n"))
    }

    @Test("all good: exit 0 and a table with ages, sizes and the next run")
    func allGood() {
        let report = report(state())
        #expect(report.exitCode == 0)
        #expect(!report.stale)
        #expect(
            report.table(timeZone: .gmt) == """
                litesafe daemon: running (pid 4242, up since 2026-11-26 11:10:00 UTC); state written 10 s ago

                DATABASE  LAST BACKUP  SIZE    TOOK   NEXT       KEPT  VERIFIED  STATUS
                app       3 min ago    4.1 MB  1.2 s  in 57 min  3     -         ok
                crm       3 min ago    4.1 MB  1.2 s  in 57 min  3     -         ok

                """)
    }

    @Test("a stored dump is noted under the table; a dump that failed since says so without failing the database")
    func lastDump() throws {
        let report = report(
            state { state in
                state.update("app") {
                    $0.lastDump = DaemonState.Backup(
                        time: now.addingTimeInterval(-600), file: "app-20261126T120000.000000Z.sql.zst.age",
                        sizeBytes: 2_000_000, durationSeconds: 0.5)
                    $0.lastDumpFailure = DaemonState.Failure(time: now.addingTimeInterval(-60), reason: "disk full")
                }
            })
        #expect(report.exitCode == 0)
        let table = report.table(timeZone: .gmt)
        #expect(
            table.contains("\napp: last dump 10 min ago (2.0 MB)\napp: last dump FAILED 1 min ago: disk full\n"),
            "\(table)")
        #expect(try report.json().contains("\"last_dump\""))
    }

    @Test("a failed backup: exit 2, FAILED with its reason and how many times in a row")
    func failing() {
        let report = report(
            state { state in
                state.update("crm") {
                    $0.lastFailure = DaemonState.Failure(time: now.addingTimeInterval(-120), reason: "disk full")
                    $0.consecutiveFailures = 2
                }
            })
        #expect(report.exitCode == 2)
        #expect(report.databases.map(\.health) == [.ok, .failing])
        let table = report.table(timeZone: .gmt)
        #expect(table.contains("crm       3 min ago    4.1 MB  1.2 s  in 57 min  3     -         FAILED\n"))
        #expect(table.contains("\ncrm: last backup FAILED 2 min ago, 2 times in a row: disk full\n"))
    }

    @Test("a store that missed the latest backup: exit 2, STORE FAILED, and which store, since when and why")
    func storeFailing() {
        let report = report(
            state { state in
                state.update("crm") {
                    $0.stores = [
                        DaemonState.Store(name: "local", lastSuccess: now.addingTimeInterval(-180)),
                        DaemonState.Store(
                            name: "offsite", lastSuccess: now.addingTimeInterval(-7_200),
                            lastFailure: DaemonState.Failure(
                                time: now.addingTimeInterval(-180), reason: "S3 PutObject got no answer"),
                            consecutiveFailures: 2),
                    ]
                }
            })
        #expect(report.exitCode == 2)
        #expect(report.databases.map(\.health) == [.ok, .storeFailing])
        let table = report.table(timeZone: .gmt)
        #expect(table.contains("crm       3 min ago    4.1 MB  1.2 s  in 57 min  3     -         STORE FAILED\n"))
        #expect(
            table.contains(
                "\ncrm: store offsite FAILED 3 min ago, 2 times in a row; last reached 2 h ago: S3 PutObject got no answer\n"
            ), "\(table)")
        #expect(!table.contains("store local"))
    }

    @Test("reasons that quote a file name reach the terminal with control characters escaped")
    func reasonsAreEscaped() {
        let report = report(
            state { state in
                state.update("crm") {
                    $0.lastFailure = DaemonState.Failure(
                        time: now.addingTimeInterval(-120), reason: "cannot read /b/crm/x\u{1B}[2J\u{202E}.json")
                    $0.consecutiveFailures = 1
                }
                state.update("app") {
                    $0.lastVerification = DaemonState.Verification(
                        time: now.addingTimeInterval(-60), kind: .scrub, ok: false, checked: 1, failed: 1,
                        reason: "/b/app/\u{7}y.age is damaged")
                }
            })
        let table = report.table(timeZone: .gmt)
        #expect(table.contains(": cannot read /b/crm/x\\u{1B}[2J\\u{202E}.json\n"), "\(table)")
        #expect(table.contains("(1 of 1 backups): /b/app/\\u{7}y.age is damaged\n"), "\(table)")
        #expect(!table.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E })
    }

    @Test("a failed verification: exit 2, VERIFY FAILED with the file")
    func verificationFailed() {
        let report = report(
            state { state in
                state.update("app") {
                    $0.lastVerification = DaemonState.Verification(
                        time: now.addingTimeInterval(-7_200), kind: .scrub, ok: false, checked: 3, failed: 1,
                        reason: "/backups/app/x.age does not match its manifest")
                }
            })
        #expect(report.exitCode == 2)
        let table = report.table(timeZone: .gmt)
        #expect(table.contains("2 h ago (scrub)  VERIFY FAILED"))
        #expect(table.contains("app: verification FAILED 2 h ago (1 of 3 backups): /backups/app/x.age does not match"))
    }

    @Test("stopped cleanly, gone without stopping, or not writing: stale, exit 3 even when failing")
    func stale() {
        let stopped = report(state { $0.stopped = now.addingTimeInterval(-60) }, running: false)
        #expect(stopped.exitCode == 3)
        #expect(stopped.daemon.status == .stopped)
        #expect(stopped.staleSince == now.addingTimeInterval(-60))
        #expect(stopped.databases.allSatisfy { $0.nextRun == nil })
        #expect(
            stopped.table(timeZone: .gmt).hasPrefix("litesafe daemon: stopped at 2026-11-26 12:09:00 UTC\nSTALE since"))

        let gone = report(state { $0.update("crm") { $0.consecutiveFailures = 1 } }, running: false)
        #expect(gone.exitCode == 3)
        #expect(gone.daemon.status == .gone)
        #expect(gone.table(timeZone: .gmt).hasPrefix("litesafe daemon: NOT RUNNING (pid 4242 is gone)"))

        let stuck = report(state(updatedAgo: 3_600))
        #expect(stuck.exitCode == 3)
        #expect(stuck.daemon.status == .stuck)
        #expect(stuck.staleReason?.contains("has not updated its state for more than 15m") == true)
        #expect(stuck.staleReason?.hasSuffix(": it may be stuck") == true)
        #expect(stuck.table(timeZone: .gmt).contains(": it may be stuck; see journalctl -u litesafe\n"))
    }

    @Test("what to do about a stale state is said at the edge, in the table and in --json alike")
    func staleAdvice() throws {
        let never = report(nil)
        #expect(
            never.staleReason
                == "no state file /var/lib/litesafe/state.json: the daemon has not run with this state_directory")
        let told =
            "no state file /var/lib/litesafe/state.json: the daemon has not run with this state_directory (systemctl start litesafe)"
        #expect(never.table(timeZone: .gmt).contains("STALE: \(told)\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(never.json().utf8)) as? [String: Any])
        #expect(object["stale_reason"] as? String == told)
        let unknown = report(state { $0.databases.removeAll { $0.name == "crm" } })
        #expect(unknown.staleReason?.hasSuffix("the configuration changed since it loaded it") == true)
        #expect(unknown.withAdvice.staleReason?.hasSuffix("since it loaded it (systemctl reload litesafe)") == true)
        // A clean stop needs no advice.
        let stopped = report(state { $0.stopped = now.addingTimeInterval(-60) }, running: false)
        #expect(stopped.withAdvice.staleReason == stopped.staleReason)
    }

    @Test("a database the daemon does not know yet: stale until a reload")
    func unknownDatabase() {
        let report = report(state { $0.databases.removeAll { $0.name == "crm" } })
        #expect(report.exitCode == 3)
        #expect(report.databases.map(\.health) == [.ok, .unknown])
        #expect(report.staleReason?.contains("'crm'") == true)
    }

    @Test("--json: snake_case keys, RFC 3339 times, one object per database")
    func json() throws {
        let data = try StateFile.encoder.encode(report(state()))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "state_file", "now", "daemon", "stale", "databases", "exit_code",
            ])
        #expect(object["now"] as? String == "2026-11-26T12:10:00Z")
        let daemon = try #require(object["daemon"] as? [String: Any])
        #expect(daemon["status"] as? String == "running")
        #expect(daemon["pid"] as? Int == 4242)
        let databases = try #require(object["databases"] as? [[String: Any]])
        #expect(databases.map { $0["name"] as? String } == ["app", "crm"])
        #expect(databases[0]["health"] as? String == "ok")
        let last = try #require(databases[0]["last_success"] as? [String: Any])
        #expect(Set(last.keys) == ["time", "file", "size_bytes", "duration_seconds"])
        #expect(databases[0]["next_run"] as? String == "2026-11-26T13:07:00Z")
    }

    @Test("ages read naturally, past and future")
    func ages() {
        #expect(StateReport.age(now, now: now) == "just now")
        #expect(StateReport.age(now.addingTimeInterval(-42), now: now) == "42 s ago")
        #expect(StateReport.age(now.addingTimeInterval(-3 * 86_400), now: now) == "3 d ago")
        #expect(StateReport.until(now.addingTimeInterval(-5), now: now) == "due now")
        #expect(StateReport.until(now.addingTimeInterval(5 * 3_600), now: now) == "in 5 h")
    }
}
