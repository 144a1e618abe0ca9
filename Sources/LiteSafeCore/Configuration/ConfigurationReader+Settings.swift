import Yams

extension ConfigurationReader {
    /// One inheritable setting as written in `defaults` or under a database.
    enum Setting<Value> {
        /// Not written here; the database falls back to `defaults`, then to the built-in default.
        case unset
        /// Written but wrong, and already reported; nothing falls back, so no second message.
        case invalid
        /// Written and valid, with the node it came from for later messages.
        case set(Value, Node)

        init(_ value: Value?, from node: Node) {
            self = value.map { .set($0, node) } ?? .invalid
        }

        /// This setting if it is written, else `fallback`.
        func or(_ fallback: Setting) -> Setting {
            if case .unset = self { return fallback }
            return self
        }

        /// The value, `builtIn` when unset, nil when invalid.
        func value(or builtIn: Value) -> Value? {
            switch self {
            case .unset: builtIn
            case .invalid: nil
            case .set(let value, _): value
            }
        }
    }

    /// The settings `defaults` and each database share, as far as one of them writes them.
    struct Settings {
        var schedule = Setting<Schedule>.unset
        var jitter = Setting<Duration>.unset
        /// Set to nil by `dump_schedule: none`.
        var dumpSchedule = Setting<Schedule?>.unset
        var destination = Setting<String>.unset
        var stores = Setting<[Configuration.NamedStore]>.unset
        var checkpoint = Setting<CheckpointMode>.unset
        var compression = Setting<Compression>.unset
        var format = Setting<BackupFormat>.unset
        var integrityCheck = Setting<IntegrityCheck>.unset
        var busyTimeout = Setting<Duration>.unset
        var encryption = Setting<Encryption>.unset
        var retention = Setting<RetentionPolicy>.unset
        /// Keys the mapping misspelt: a missing one of these was already reported as a typo.
        var misspelt: Set<ConfigurationKey> = []

        /// Whether this mapping says where backups go.
        var setsWhere: Bool {
            if case .unset = destination, case .unset = stores { return false }
            return true
        }

        /// These settings where written, `defaults` elsewhere: a key replaces the default as a whole.
        func overriding(_ defaults: Settings) -> Settings {
            Settings(
                schedule: schedule.or(defaults.schedule),
                jitter: jitter.or(defaults.jitter),
                dumpSchedule: dumpSchedule.or(defaults.dumpSchedule),
                // Where backups go is one choice: a database that sets `destination` or `stores`
                // replaces both of the defaults'.
                destination: setsWhere ? destination : defaults.destination,
                stores: setsWhere ? stores : defaults.stores,
                checkpoint: checkpoint.or(defaults.checkpoint),
                compression: compression.or(defaults.compression),
                format: format.or(defaults.format),
                integrityCheck: integrityCheck.or(defaults.integrityCheck),
                busyTimeout: busyTimeout.or(defaults.busyTimeout),
                encryption: encryption.or(defaults.encryption),
                retention: retention.or(defaults.retention),
                misspelt: misspelt.union(defaults.misspelt))
        }
    }

    /// Reads the shared settings written in one mapping (`defaults` or a database).
    func settings(in fields: Fields) -> Settings {
        var settings = Settings(misspelt: fields.misspelt)
        if let node = fields[.schedule] {
            settings.schedule = Setting(schedule(node, at: fields.path(.schedule)), from: node)
        }
        if let node = fields[.jitter] {
            settings.jitter = Setting(duration(node, at: fields.path(.jitter), allowingZero: true), from: node)
        }
        if let node = fields[.dumpSchedule] {
            // `none` lets a database turn off the dumps `defaults` asks for.
            settings.dumpSchedule =
                node.string == "none"
                ? .set(nil, node)
                : Setting(schedule(node, at: fields.path(.dumpSchedule)).map { Schedule?.some($0) }, from: node)
        }
        if let node = fields[.destination] {
            settings.destination = Setting(absolutePath(node, at: fields.path(.destination)), from: node)
        }
        if let node = fields[.stores] {
            settings.stores = storeList(node, at: fields.path(.stores))
            if fields[.destination] != nil {
                error(
                    "\(fields.prefix): set either `destination:` (one folder) or `stores:` (named stores), not both; a folder can be a store: `stores: { local: { path: /var/backups/litesafe } }`",
                    at: node)
                settings.stores = .invalid
            }
        }
        if let node = fields[.checkpoint] {
            let modes = CheckpointMode.allCases.map(\.rawValue)
            let mode = choice(
                node, at: fields.path(.checkpoint), expected: Self.sentence(modes), candidates: modes,
                parse: CheckpointMode.init(rawValue:))
            settings.checkpoint = Setting(mode, from: node)
        }
        if let node = fields[.compression] {
            let compression = choice(
                node, at: fields.path(.compression), expected: "none, zstd or zstd:1 … zstd:19",
                candidates: ["none", "zstd"], parse: Compression.init(parsing:))
            settings.compression = Setting(compression, from: node)
        }
        if let node = fields[.format] {
            let formats = BackupFormat.allCases.map(\.rawValue)
            let format = choice(
                node, at: fields.path(.format), expected: Self.sentence(formats), candidates: formats,
                parse: BackupFormat.init(rawValue:))
            settings.format = Setting(format, from: node)
        }
        if let node = fields[.integrityCheck] {
            let checks = IntegrityCheck.allCases.map(\.rawValue)
            let check = choice(
                node, at: fields.path(.integrityCheck), expected: Self.sentence(checks), candidates: checks,
                parse: IntegrityCheck.init(rawValue:))
            settings.integrityCheck = Setting(check, from: node)
        }
        if let node = fields[.busyTimeout] {
            settings.busyTimeout = Setting(
                duration(node, at: fields.path(.busyTimeout), allowingZero: true), from: node)
        }
        if let node = fields[.encryption] {
            settings.encryption = encryption(node, at: fields.path(.encryption))
        }
        if let node = fields[.retention] {
            settings.retention = retention(node, at: fields.path(.retention))
        }
        return settings
    }

    /// `a, b or c`.
    static func sentence(_ words: [String]) -> String {
        guard words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " or " + words.last!
    }
}
