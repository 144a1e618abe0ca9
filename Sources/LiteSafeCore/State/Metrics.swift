import Foundation

/// The daemon's state as Prometheus text-format metrics, one series per database (label
/// `database`), for node_exporter's textfile collector.
///
/// Series without a value yet (no successful backup, no verification) are left out rather than
/// written as 0, so `absent()` and `time() - …` alerts behave. Times are Unix seconds.
public enum Metrics {
    /// The metrics, with HELP and TYPE lines, for the databases in `state`.
    public static func text(_ state: DaemonState) -> String {
        let databases = state.databases
        var text = ""
        func family(
            _ name: String, _ type: String, _ help: String, _ value: (DaemonState.Database) -> Double?
        ) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for database in databases {
                guard let value = value(database) else { continue }
                text += "\(name){database=\"\(escape(database.name))\"} \(format(value))\n"
            }
        }
        // Labels `database` and `store`, only for databases backed up to several stores.
        func storeFamily(_ name: String, _ type: String, _ help: String, _ value: (DaemonState.Store) -> Double?) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for database in databases {
                for store in database.stores ?? [] {
                    guard let value = value(store) else { continue }
                    text +=
                        "\(name){database=\"\(escape(database.name))\",store=\"\(escape(store.name))\"} \(format(value))\n"
                }
            }
        }
        family(
            "litesafe_backup_last_success_timestamp_seconds", "gauge",
            "When the latest successful backup of the database started, in Unix seconds."
        ) { $0.lastSuccess.map { $0.time.timeIntervalSince1970 } }
        family(
            "litesafe_backup_duration_seconds", "gauge", "How long the latest successful backup took."
        ) { $0.lastSuccess?.durationSeconds }
        family(
            "litesafe_backup_size_bytes", "gauge",
            "The stored (compressed, encrypted) size of the latest successful backup."
        ) { $0.lastSuccess.map { Double($0.sizeBytes) } }
        family(
            "litesafe_backup_failures_total", "counter",
            "Failed backups of the database since the state file was created."
        ) { Double($0.failuresTotal) }
        family(
            "litesafe_backup_failing", "gauge", "1 if the latest backup of the database failed, else 0."
        ) { $0.isFailing ? 1 : 0 }
        family(
            "litesafe_backups_retained", "gauge", "How many backups of the database the store holds."
        ) { $0.retained.map(Double.init) }
        storeFamily(
            "litesafe_store_last_success_timestamp_seconds", "gauge",
            "When the latest backup this store got started, in Unix seconds (databases with several stores)."
        ) { $0.lastSuccess?.timeIntervalSince1970 }
        storeFamily(
            "litesafe_store_failing", "gauge",
            "1 if the store did not get the latest backup of the database (the others did), else 0."
        ) { $0.consecutiveFailures > 0 ? 1 : 0 }
        family(
            "litesafe_verify_last_success_timestamp_seconds", "gauge",
            "When a verification of all the database's stored backups last passed, in Unix seconds."
        ) { $0.lastVerifySuccess?.timeIntervalSince1970 }
        family(
            "litesafe_verify_failing", "gauge", "1 if the latest verification of the database's backups failed, else 0."
        ) { $0.lastVerification == nil ? nil : ($0.verificationFailed ? 1 : 0) }
        return text
    }

    /// A label value as the text format wants it: backslash, quote and newline escaped.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Whole numbers without a fraction; others with millisecond precision at least.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.3f", value)
    }
}

/// The `metrics_textfile`: `Metrics.text` written atomically, mode 0644.
///
/// 0644 because node_exporter runs as its own user and must read it; it holds only database
/// names and numbers. The temporary file is named `.litesafe-tmp-…-NAME.tmp`, which the
/// textfile collector (it reads `*.prom`) ignores.
public struct MetricsFile: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func write(_ state: DaemonState) throws {
        try AtomicFile.replace(
            directory: FileSystem.parent(of: path), name: FileSystem.basename(of: path),
            bytes: Array(Metrics.text(state).utf8), mode: 0o644)
    }

    /// Removes the temporary file an interrupted write left.
    public func removeLeftovers() {
        AtomicFile.removeReplaceLeftovers(directory: FileSystem.parent(of: path), name: FileSystem.basename(of: path))
    }
}
