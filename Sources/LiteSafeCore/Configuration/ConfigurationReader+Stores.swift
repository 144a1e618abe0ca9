import Foundation
import Yams

extension ConfigurationReader {
    /// The named stores of the top-level `stores:`, as databases' `stores:` lists look them up.
    struct DefinedStores {
        /// The valid stores, by name, with the node of their entry and that of their `path:` or `s3:`.
        var stores: [String: (store: Configuration.NamedStore, node: Node, place: Node)] = [:]
        /// Names in file order, valid or not.
        var order: [String] = []
        /// Names whose entry was wrong (already reported): a list naming them says nothing more.
        var invalid: Set<String> = []
        /// True when `stores:` itself was wrong: no name can then be said to be unknown.
        var sectionInvalid = false
        /// Names some database uses.
        var used: Set<String> = []
    }

    /// Reads the top-level `stores:` mapping of names to stores.
    func readStores(_ node: Node) -> [Configuration.NamedStore] {
        guard case .mapping(let mapping) = node else {
            error(
                "stores: expected a mapping of store names to stores, such as `local: { path: /var/backups/litesafe }`, got \(describe(node))",
                at: node)
            definedStores.sectionInvalid = true
            return []
        }
        var stores: [Configuration.NamedStore] = []
        for (key, value) in mapping {
            guard let name = text(key, at: "stores", expected: "a store name") else {
                definedStores.sectionInvalid = true
                continue
            }
            definedStores.order.append(name)
            guard DatabaseName.isValid(name), !name.hasPrefix(".") else {
                error(
                    "store name '\(name)' may only contain letters, digits, '.', '_' and '-', and not start with '.'",
                    at: key)
                definedStores.invalid.insert(name)
                continue
            }
            guard let (store, place) = namedStore(name, value) else {
                definedStores.invalid.insert(name)
                continue
            }
            definedStores.stores[name] = (store, key, place)
            stores.append(store)
        }
        return stores
    }

    /// One entry of `stores:`: `path:` or `s3:`, and optionally its own `retention:`.
    private func namedStore(_ name: String, _ node: Node) -> (Configuration.NamedStore, place: Node)? {
        let prefix = "stores.\(name)"
        guard let fields = fields(of: node, in: .store, prefix: prefix) else {
            error(
                "\(prefix): expected a mapping with `path:` (a folder) or `s3:` (a bucket), got \(describe(node))",
                at: node)
            return nil
        }
        var location: StoreLocation?
        var valid = !fields.hasUnknownKeys
        switch (fields[.path], fields[.s3]) {
        case (let path?, nil):
            location = absolutePath(path, at: fields.path(.path)).map(StoreLocation.directory)
        case (nil, let s3?):
            location = s3Location(s3, at: fields.path(.s3)).map(StoreLocation.s3)
        case (_?, let s3?):
            error("\(prefix): set either `path:` (a folder) or `s3:` (a bucket), not both", at: s3)
        case (nil, nil):
            if !fields.misspelt.contains(.path) && !fields.misspelt.contains(.s3) {
                error("\(prefix): add `path:` (a folder) or `s3:` (a bucket) to say where the store is", at: node)
            }
        }
        var retention: RetentionPolicy?
        if let node = fields[.retention] {
            switch self.retention(node, at: fields.path(.retention)) {
            case .set(let policy, _): retention = policy
            default: valid = false
            }
        }
        guard valid, let location, let place = fields[.path] ?? fields[.s3] else { return nil }
        return (Configuration.NamedStore(name: name, location: location, retention: retention), place)
    }

    /// Reads a store's `s3:` mapping.
    private func s3Location(_ node: Node, at path: String) -> S3Location? {
        guard let fields = fields(of: node, in: .s3, prefix: path) else {
            error(
                "\(path): expected a mapping with at least bucket and region, such as `{ bucket: acme-backups, region: eu-central-1 }`, got \(describe(node))",
                at: node)
            return nil
        }
        var valid = !fields.hasUnknownKeys
        func required(_ key: ConfigurationKey, _ example: String) -> Node? {
            if let node = fields[key] { return node }
            if !fields.misspelt.contains(key) {
                error("\(path) has no \(key.rawValue): add `\(key.rawValue): \(example)`", at: node)
            }
            valid = false
            return nil
        }
        let bucket = required(.bucket, "acme-backups").flatMap { bucketName($0, at: fields.path(.bucket)) }
        let region = required(.region, "eu-central-1").flatMap { regionName($0, at: fields.path(.region)) }
        var prefix = ""
        if let node = fields[.prefix] {
            if let text = text(node, at: fields.path(.prefix), expected: "a key prefix such as db01/") {
                if text.hasPrefix("/") || text.contains("//")
                    || text.split(separator: "/").contains(where: { $0 == "." || $0 == ".." })
                {
                    error(
                        "\(fields.path(.prefix)): '\(text)' is not a usable key prefix: no leading '/', no empty, '.' or '..' parts (e.g. `prefix: db01/`)",
                        at: node)
                    valid = false
                } else {
                    prefix = text
                }
            } else {
                valid = false
            }
        }
        let pathStyle = fields[.pathStyle].map { boolean($0, at: fields.path(.pathStyle)) } ?? false
        let allowHTTP = fields[.allowHTTP].map { boolean($0, at: fields.path(.allowHTTP)) } ?? false
        var endpoint: String?
        if let node = fields[.endpoint] {
            endpoint = self.endpoint(node, at: fields.path(.endpoint), allowHTTP: allowHTTP ?? false)
            valid = valid && endpoint != nil
        }
        var credentials: String?
        if let node = fields[.credentials] {
            credentials = credentialsFile(node, at: fields.path(.credentials))
            valid = valid && credentials != nil
        }
        var storageClass: String?
        if let node = fields[.storageClass] {
            storageClass = self.storageClass(node, at: fields.path(.storageClass))
            valid = valid && storageClass != nil
        }
        var objectLock: S3Location.ObjectLock?
        if let node = fields[.objectLock] {
            objectLock = self.objectLock(node, at: fields.path(.objectLock))
            valid = valid && objectLock != nil
        }
        var caFile: String?
        if let node = fields[.caFile] {
            caFile = absolutePath(node, at: fields.path(.caFile))
            if let file = caFile {
                checkCAFile(file, at: node, fieldPath: fields.path(.caFile))
            } else {
                valid = false
            }
        }
        guard valid, let bucket, let region, let pathStyle, let allowHTTP else { return nil }
        return S3Location(
            bucket: bucket, prefix: prefix, region: region, endpoint: endpoint, pathStyle: pathStyle,
            credentialsFile: credentials, storageClass: storageClass, objectLock: objectLock, allowHTTP: allowHTTP,
            caFile: caFile)
    }

    /// `true` or `false` (YAML's `yes`/`no` and friends are refused: they read as strings here).
    func boolean(_ node: Node, at path: String) -> Bool? {
        choice(node, at: path, expected: "true or false", candidates: ["true", "false"]) {
            switch $0 {
            case "true": true
            case "false": false
            default: nil
            }
        }
    }

    /// A bucket name by S3's rules: 3 to 63 lower-case letters, digits, '.' and '-', starting and
    /// ending with a letter or digit.
    private func bucketName(_ node: Node, at path: String) -> String? {
        guard let name = text(node, at: path, expected: "a bucket name such as acme-backups") else { return nil }
        let allowed = name.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "." || $0 == "-"
        }
        let ends = [name.first, name.last].allSatisfy { $0.map { $0.isLetter || $0.isNumber } ?? false }
        guard allowed, ends, (3...63).contains(name.count), !name.contains("..") else {
            error(
                "\(path): '\(name)' is not a bucket name: 3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit",
                at: node)
            return nil
        }
        return name
    }

    /// A region such as `eu-central-1` (other services use their own words: letters, digits, '-', '_').
    private func regionName(_ node: Node, at path: String) -> String? {
        guard let region = text(node, at: path, expected: "a region such as eu-central-1") else { return nil }
        let allowed = region.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "-" || $0 == "_"
        }
        guard allowed, !region.isEmpty else {
            error("\(path): '\(region)' is not a region name such as eu-central-1 (letters, digits and '-')", at: node)
            return nil
        }
        return region
    }

    /// The service's URL: `https://host[:port]`, or `http://` to this machine or with `allow_http: true`.
    private func endpoint(_ node: Node, at path: String, allowHTTP: Bool) -> String? {
        let expected = "a URL such as https://s3.eu-central-1.amazonaws.com"
        guard let text = text(node, at: path, expected: expected) else { return nil }
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = url.host, !host.isEmpty,
            url.user == nil, url.password == nil, url.query == nil, url.fragment == nil,
            url.path.isEmpty || url.path == "/"
        else {
            // The text is not quoted back: a URL with user:password@ would print a secret.
            error(
                "\(path): expected \(expected) (scheme, host and optional port; no user, path or query)",
                at: node)
            return nil
        }
        if scheme == "http" && !allowHTTP && !Self.isLoopback(host) {
            error(
                "\(path): \(scheme)://\(host) is not encrypted: requests and their signatures would cross the network in the clear; use https://, or add `allow_http: true` to this store's s3 if the network is trusted",
                at: node)
            return nil
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// Whether `host` names this machine: `localhost`, 127.0.0.0/8 or ::1.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        var address = in_addr()
        return inet_pton(AF_INET, bare, &address) == 1 && UInt32(bigEndian: address.s_addr) >> 24 == 127
    }

    /// An S3 storage class: upper-case letters, digits and '_' (`STANDARD_IA`); providers name
    /// their own, so the word is passed on as written.
    private func storageClass(_ node: Node, at path: String) -> String? {
        guard let word = text(node, at: path, expected: "a storage class such as STANDARD or STANDARD_IA") else {
            return nil
        }
        let allowed = word.unicodeScalars.allSatisfy {
            ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_"
        }
        guard allowed, !word.isEmpty else {
            error(
                "\(path): '\(word)' is not a storage class such as STANDARD or STANDARD_IA (upper-case letters, digits and '_')",
                at: node)
            return nil
        }
        if ["GLACIER", "DEEP_ARCHIVE"].contains(word) {
            error(
                "\(path): \(word) objects must be thawed before they can be read, so restores, verification and read-back would fail; use STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING or GLACIER_IR",
                at: node)
            return nil
        }
        return word
    }

    /// `{ mode: governance|compliance, days: N }`.
    private func objectLock(_ node: Node, at path: String) -> S3Location.ObjectLock? {
        guard let fields = fields(of: node, in: .objectLock, prefix: path) else {
            error(
                "\(path): expected a mapping such as `{ mode: governance, days: 30 }`, got \(describe(node))", at: node)
            return nil
        }
        var mode: S3Location.ObjectLock.Mode?
        var days: Int?
        if let value = fields[.mode] {
            let modes = S3Location.ObjectLock.Mode.allCases.map(\.rawValue)
            mode = choice(
                value, at: fields.path(.mode), expected: Self.sentence(modes), candidates: modes,
                parse: S3Location.ObjectLock.Mode.init(rawValue:))
        } else if !fields.misspelt.contains(.mode) {
            error("\(path) has no mode: add `mode: governance` or `mode: compliance`", at: node)
        }
        if let value = fields[.days] {
            days = wholeNumber(value, at: fields.path(.days), minimum: 1)
        } else if !fields.misspelt.contains(.days) {
            error("\(path) has no days: add `days: 30` (how long each backup cannot be deleted)", at: node)
        }
        guard let mode, let days, !fields.hasUnknownKeys else { return nil }
        return S3Location.ObjectLock(mode: mode, days: days)
    }
}

extension ConfigurationReader {
    /// A `stores:` list under defaults or a database: names of the top-level `stores:`, each once.
    func storeList(_ node: Node, at path: String) -> Setting<[Configuration.NamedStore]> {
        let items: [Node]
        switch node {
        case .sequence(let sequence) where !sequence.isEmpty: items = Array(sequence)
        case .scalar where node.null == nil: items = [node]
        default:
            error("\(path): expected a list of store names such as [local, offsite], got \(describe(node))", at: node)
            return .invalid
        }
        var stores: [Configuration.NamedStore] = []
        var valid = true
        for item in items {
            guard let name = text(item, at: path, expected: "a store name") else {
                valid = false
                continue
            }
            if stores.contains(where: { $0.name == name }) {
                error("\(path): store '\(name)' is listed twice; list each store once", at: item)
                valid = false
            } else if let defined = definedStores.stores[name] {
                stores.append(defined.store)
                definedStores.used.insert(name)
            } else {
                valid = false
                definedStores.used.insert(name)
                // A store whose own entry was wrong was reported there.
                guard !definedStores.invalid.contains(name), !definedStores.sectionInvalid else { continue }
                var message = "\(path): no store named '\(name)'"
                if let nearest = ConfigurationSuggestion.nearest(to: name, among: definedStores.order) {
                    message += " — did you mean '\(nearest)'?"
                } else if definedStores.order.isEmpty {
                    message +=
                        "; define it in a top-level `stores:` mapping, e.g. `stores: { \(name): { path: /var/backups/litesafe } }`"
                } else {
                    message += "; configured stores: \(definedStores.order.joined(separator: ", "))"
                }
                error(message, at: item)
            }
        }
        return valid ? .set(stores, node) : .invalid
    }

    /// Warns about stores of the top-level `stores:` no database uses: probably a forgotten name.
    func warnAboutUnusedStores() {
        for name in definedStores.order where !definedStores.used.contains(name) {
            guard let defined = definedStores.stores[name] else { continue }
            warning(
                "store '\(name)' is used by no database: add it to `stores:` under defaults or a database",
                at: defined.node)
        }
    }
}
