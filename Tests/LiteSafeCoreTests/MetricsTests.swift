import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

@Suite("Metrics: the node_exporter textfile")
struct MetricsTests {
    static let parser = """
        import sys
        from prometheus_client.parser import text_string_to_metric_families
        for family in text_string_to_metric_families(open(sys.argv[1]).read()):
            for sample in family.samples:
                print(family.name, family.type, sample.name, sample.labels["database"], repr(float(sample.value)))
        """

    @Test("the file parses with prometheus_client: every family typed, each database labelled, unknowns left out")
    func parses() throws {
        let folder = try TemporaryDirectory("litesafe-metrics")
        let updated = Date(timeIntervalSince1970: 1_795_000_000)
        var state = DaemonState(pid: 1, started: updated, updated: updated, configFile: "/x")
        state.update("app") {
            $0.lastSuccess = DaemonState.Backup(
                time: updated, file: "app.age", sizeBytes: 4_100_000, durationSeconds: 1.5)
            $0.retained = 3
            $0.lastVerification = DaemonState.Verification(
                time: updated, kind: .scrub, ok: true, checked: 3, failed: 0, reason: nil)
            $0.lastVerifySuccess = updated
        }
        state.update("weird\"name") {
            $0.failuresTotal = 4
            $0.consecutiveFailures = 4
        }
        let path = folder.path + "/litesafe.prom"
        try MetricsFile(path: path).write(state)
        try MetricsFile(path: path).write(state)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["litesafe.prom"])
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o644)

        let result = try Subprocess.run("/usr/bin/python3", ["-c", Self.parser, path])
        #expect(result.status == 0, "\(result)")
        let lines = Set(result.output.split(separator: "\n").map(String.init))
        #expect(
            lines == [
                "litesafe_backup_last_success_timestamp_seconds gauge litesafe_backup_last_success_timestamp_seconds app 1795000000.0",
                "litesafe_backup_duration_seconds gauge litesafe_backup_duration_seconds app 1.5",
                "litesafe_backup_size_bytes gauge litesafe_backup_size_bytes app 4100000.0",
                "litesafe_backup_failures counter litesafe_backup_failures_total app 0.0",
                "litesafe_backup_failures counter litesafe_backup_failures_total weird\"name 4.0",
                "litesafe_backup_failing gauge litesafe_backup_failing app 0.0",
                "litesafe_backup_failing gauge litesafe_backup_failing weird\"name 1.0",
                "litesafe_backups_retained gauge litesafe_backups_retained app 3.0",
                "litesafe_verify_last_success_timestamp_seconds gauge litesafe_verify_last_success_timestamp_seconds app 1795000000.0",
                "litesafe_verify_failing gauge litesafe_verify_failing app 0.0",
            ], "\(result.output)")
    }

    @Test("a database with several stores gets per-store series labelled database and store")
    func storeSeries() throws {
        let folder = try TemporaryDirectory("litesafe-metrics")
        let updated = Date(timeIntervalSince1970: 1_795_000_000)
        var state = DaemonState(pid: 1, started: updated, updated: updated, configFile: "/x")
        state.update("app") {
            $0.recordStores(["local", "offsite"], failed: [:], at: updated.addingTimeInterval(-3_600))
            $0.recordStores(["local", "offsite"], failed: ["offsite": "no answer"], at: updated)
        }
        state.update("single") { $0.consecutiveFailures = 0 }
        let path = folder.path + "/litesafe.prom"
        try MetricsFile(path: path).write(state)
        let parser = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                if family.name.startswith("litesafe_store_"):
                    for sample in family.samples:
                        print(sample.name, sample.labels["database"], sample.labels["store"], repr(float(sample.value)))
            """
        let result = try Subprocess.run("/usr/bin/python3", ["-c", parser, path])
        #expect(result.status == 0, "\(result)")
        #expect(
            Set(result.output.split(separator: "\n").map(String.init)) == [
                "litesafe_store_last_success_timestamp_seconds app local 1795000000.0",
                "litesafe_store_last_success_timestamp_seconds app offsite 1794996400.0",
                "litesafe_store_failing app local 0.0",
                "litesafe_store_failing app offsite 1.0",
            ], "\(result.output)")
    }
}
