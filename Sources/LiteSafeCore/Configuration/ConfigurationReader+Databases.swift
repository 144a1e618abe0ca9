import Yams

extension ConfigurationReader {
    /// Names and paths already taken by earlier entries, so repeats are reported where they occur.
    struct TakenNames {
        var names: [String: Int] = [:]
        var paths: [String: String] = [:]
    }

    /// Reads the `databases` list, applying `defaults` to each entry.
    func databases(_ node: Node?, in root: Node, defaults: Settings) -> [Configuration.Database] {
        let noDatabases = "no databases configured: add a `databases:` list with at least one entry (name and path)"
        guard let node else {
            error(noDatabases, at: root)
            return []
        }
        guard case .sequence(let entries) = node else {
            error(
                "databases: expected a list of databases (`- name: app` with `path: /var/lib/app/app.db`), got \(describe(node))",
                at: node)
            return []
        }
        guard !entries.isEmpty else {
            error(noDatabases, at: node)
            return []
        }
        var taken = TakenNames()
        return entries.enumerated().compactMap { index, entry in
            database(entry, index: index, defaults: defaults, taken: &taken)
        }
    }

    /// Reads one entry of `databases`; nil when anything about it is wrong.
    private func database(
        _ entry: Node, index: Int, defaults: Settings, taken: inout TakenNames
    ) -> Configuration.Database? {
        guard var fields = fields(of: entry, in: .database, prefix: "databases[\(index)]") else {
            error("databases[\(index)]: expected a mapping with name and path, got \(describe(entry))", at: entry)
            return nil
        }
        let name = databaseName(fields, taken: &taken)
        if let name { fields.prefix = "databases.\(name)" }
        let label = name.map { "database '\($0)'" } ?? "database \(index + 1) in the list"

        var path: String?
        if let node = fields[.path] {
            path = absolutePath(node, at: fields.path(.path))
            if let path {
                if let other = taken.paths[path] {
                    error(
                        "\(fields.path(.path)): \(path) is already configured as \(other); list each database once",
                        at: node)
                } else {
                    taken.paths[path] = label
                }
                checkSource(path, at: node, fieldPath: fields.path(.path))
            }
        } else if !fields.misspelt.contains(.path) {
            error("\(label) has no path: add `path:` with the absolute path of its SQLite file", at: entry)
        }

        let settings = settings(in: fields).overriding(defaults)
        if !settings.setsWhere, !settings.misspelt.contains(.destination), !settings.misspelt.contains(.stores) {
            error(
                "no destination configured for \(label): set `destination:` under defaults or under the database, e.g. `destination: /var/backups/litesafe`, or `stores:` naming stores of the top-level `stores:`",
                at: entry)
        }
        if case .unset = settings.encryption, !settings.misspelt.contains(.encryption) {
            error(
                "no encryption configured for \(label): add encryption.recipients or encryption.recipients_file, or `encryption: none` to store plaintext deliberately",
                at: entry)
        }
        guard let name, let path,
            let (stores, storesNode) = stores(settings),
            case .set(let encryption, let encryptionNode) = settings.encryption,
            let schedule = settings.schedule.value(or: Configuration.Database.defaultSchedule),
            let jitter = settings.jitter.value(or: Configuration.Database.defaultJitter),
            let dumpSchedule = settings.dumpSchedule.value(or: nil),
            let checkpoint = settings.checkpoint.value(or: Configuration.Database.defaultCheckpoint),
            let compression = settings.compression.value(or: Configuration.Database.defaultCompression),
            let integrityCheck = settings.integrityCheck.value(or: Configuration.Database.defaultIntegrityCheck),
            let busyTimeout = settings.busyTimeout.value(or: Configuration.Database.defaultBusyTimeout),
            let retention = settings.retention.value(or: .default),
            let format = settings.format.value(or: .file)
        else { return nil }
        if format == .pages, !pageStoreFits(label: label, stores: stores, compression: compression, settings: settings)
        {
            return nil
        }

        let database = Configuration.Database(
            name: name, path: path, store: stores[0].location, schedule: schedule, jitter: jitter,
            checkpoint: checkpoint, compression: compression, integrityCheck: integrityCheck,
            busyTimeout: busyTimeout, encryption: encryption, retention: retention, stores: stores,
            dumpSchedule: dumpSchedule, format: format)
        for store in stores {
            guard case .directory(let root) = store.location else { continue }
            checkDestination(root, of: database, at: definedStores.stores[store.name]?.place ?? storesNode)
        }
        if case .none = encryption {
            warning(
                "database '\(name)' is backed up without encryption (`encryption: none`): anyone who can read \(database.destination) can read its data",
                at: encryptionNode)
        }
        return database
    }

    /// Whether `format: pages` can work with the rest of the database's settings; reports why not.
    private func pageStoreFits(
        label: String, stores: [Configuration.NamedStore], compression: Compression, settings: Settings
    ) -> Bool {
        guard case .set(_, let node) = settings.format else { return true }
        if stores.count > 1 {
            error(
                "\(label): `format: pages` keeps one page store: list one store under `stores:` (or use `destination:`), or use `format: file` for several",
                at: node)
            return false
        }
        if case .none = compression {
            error(
                "\(label): `format: pages` compresses its packs with zstd: remove `compression: none`, or use `format: file`",
                at: node)
            return false
        }
        if case .s3(let bucket) = stores[0].location, bucket.objectLock != nil {
            error(
                "\(label): `format: pages` does not lock its packs against deletion yet: remove the store's `object_lock`, or use `format: file` with it",
                at: node)
            return false
        }
        return true
    }

    /// Where the database's backups go, and the node that says so; nil when that is unset or wrong.
    private func stores(_ settings: Settings) -> ([Configuration.NamedStore], Node)? {
        switch (settings.destination, settings.stores) {
        case (.set(let root, let node), _):
            return (
                [Configuration.NamedStore(name: Configuration.NamedStore.destinationName, location: .directory(root))],
                node
            )
        case (_, .set(let stores, let node)): return (stores, node)
        default: return nil
        }
    }

    /// The entry's name if it is present, safe as a folder name, and not used before.
    private func databaseName(_ fields: Fields, taken: inout TakenNames) -> String? {
        guard let node = fields[.name] else {
            if fields.misspelt.contains(.name) { return nil }
            error(
                "database entry has no name: add `name:` (letters, digits, '.', '_' and '-'; it names the backup folder)",
                at: fields.node)
            return nil
        }
        guard let name = text(node, at: fields.path(.name), expected: "a name such as 'app'") else { return nil }
        if name == "." || name == ".." {
            error("database name '\(name)' cannot name a backup folder; choose another name", at: node)
            return nil
        }
        if name.utf8.count > 128 {
            error("database name '\(name.prefix(20))…' is longer than 128 bytes; choose a shorter name", at: node)
            return nil
        }
        guard DatabaseName.isValid(name) else {
            error(
                "database name '\(name)' may only contain letters, digits, '.', '_' and '-' (it names the backup folder)",
                at: node)
            return nil
        }
        if let line = taken.names[name] {
            error(
                "duplicate database name '\(name)' (first used on line \(line)): each database needs its own name, which names its backup folder",
                at: node)
            return nil
        }
        taken.names[name] = node.mark?.line ?? 0
        return name
    }
}
