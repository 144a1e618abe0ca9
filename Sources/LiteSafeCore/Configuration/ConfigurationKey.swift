/// Every key the configuration file knows, and the mappings ("blocks") each may appear in.
enum ConfigurationKey: String, CaseIterable, Hashable {
    // The top level.
    case defaults
    case timeZone = "time_zone"
    case maxConcurrentBackups = "max_concurrent_backups"
    case backupCPUPriority = "backup_cpu_priority"
    case stateDirectory = "state_directory"
    case metricsTextfile = "metrics_textfile"
    case verifySchedule = "verify_schedule"
    case verifyIdentity = "verify_identity"
    case stores
    case databases
    // `defaults` and each database (`stores` too, as a list of names).
    case schedule, jitter, destination, checkpoint, compression, format
    case dumpSchedule = "dump_schedule"
    case integrityCheck = "integrity_check"
    case busyTimeout = "busy_timeout"
    case encryption, retention
    // Each database only.
    case name, path
    // `encryption`.
    case recipients
    case recipientsFile = "recipients_file"
    // `retention`.
    case keepLast = "keep_last"
    case keepHourly = "keep_hourly"
    case keepDaily = "keep_daily"
    case keepWeekly = "keep_weekly"
    case keepMonthly = "keep_monthly"
    case keepYearly = "keep_yearly"
    case keepWithin = "keep_within"
    // A named store (with `path` and `retention`).
    case s3
    // `s3`.
    case bucket, prefix, region, endpoint
    case pathStyle = "path_style"
    case credentials
    case storageClass = "storage_class"
    case objectLock = "object_lock"
    case allowHTTP = "allow_http"
    case caFile = "ca_file"
    // `object_lock`.
    case mode, days

    /// A mapping in the file, which allows its own set of keys.
    enum Block: CaseIterable {
        case topLevel, defaults, database, encryption, retention, store, s3, objectLock

        static let shared: [ConfigurationKey] = [
            .schedule, .jitter, .dumpSchedule, .destination, .stores, .format, .checkpoint, .compression,
            .integrityCheck, .busyTimeout,
            .encryption, .retention,
        ]

        /// The keys allowed here, in the order the documented example lists them.
        var keys: [ConfigurationKey] {
            switch self {
            case .topLevel:
                [
                    .defaults, .timeZone, .maxConcurrentBackups, .backupCPUPriority, .stateDirectory,
                    .metricsTextfile,
                    .verifySchedule, .verifyIdentity, .stores, .databases,
                ]
            case .defaults: Block.shared
            case .database: [.name, .path] + Block.shared
            case .encryption: [.recipients, .recipientsFile]
            case .retention: [.keepLast, .keepHourly, .keepDaily, .keepWeekly, .keepMonthly, .keepYearly, .keepWithin]
            case .store: [.path, .s3, .retention]
            case .s3:
                [
                    .bucket, .prefix, .region, .endpoint, .pathStyle, .credentials, .storageClass, .objectLock,
                    .allowHTTP, .caFile,
                ]
            case .objectLock: [.mode, .days]
            }
        }

        /// Where the block is, as the end of "it belongs …".
        var place: String {
            switch self {
            case .topLevel: "at the top level"
            case .defaults: "under defaults"
            case .database: "under each database"
            case .encryption: "under encryption"
            case .retention: "under retention"
            case .store: "under each store"
            case .s3: "under a store's s3"
            case .objectLock: "under object_lock"
            }
        }
    }

    /// What to tell the operator about `key`, which is not allowed in `block`.
    static func unknownKeyMessage(_ key: String, in block: Block) -> String {
        if let known = ConfigurationKey(rawValue: key) {
            let homes = Block.allCases.filter { $0.keys.contains(known) }.map(\.place)
            return "'\(key)' cannot be set \(block.place) — it belongs \(homes.joined(separator: " or "))"
        }
        if let nearest = nearest(to: key, in: block) {
            return "unknown key '\(key)' — did you mean '\(nearest.rawValue)'?"
        }
        return "unknown key '\(key)' — expected one of: \(block.keys.map(\.rawValue).joined(separator: ", "))"
    }

    /// The key of `block` that `key` is probably a typo of.
    static func nearest(to key: String, in block: Block) -> ConfigurationKey? {
        guard ConfigurationKey(rawValue: key) == nil else { return nil }
        let nearest = ConfigurationSuggestion.nearest(to: key, among: block.keys.map(\.rawValue))
        return nearest.flatMap(ConfigurationKey.init(rawValue:))
    }
}
