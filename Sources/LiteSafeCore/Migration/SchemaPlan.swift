import Foundation
import SQLite

/// How two schemas differ, and which differences a diff can express in SQL safely.
struct SchemaPlan {
    /// Every difference, one line each, in a stable order.
    private(set) var differences: [String] = []
    /// The differences no SQL a diff writes can carry (a table whose columns changed other than
    /// by columns added at the end, a virtual table redefined).
    private(set) var inexpressible: [String] = []
    /// The schema changes a diff with `includeSchema` makes, one line each.
    private(set) var changes: [String] = []
    /// Column definitions to add to a table, by table name, in order.
    private(set) var addedColumns: [String: [String]] = [:]

    init(old: SchemaObjects, new: SchemaObjects, connection: Connection) throws {
        for type in ["table", "index", "view", "trigger"] {
            let names = Set(old.objects(ofType: type).map(\.name)).union(new.objects(ofType: type).map(\.name))
            for name in names.sorted() {
                let before = old.object(type, name)
                let after = new.object(type, name)
                switch (before, after) {
                case (nil, .some):
                    differences.append("\(type) \(name): only in TO")
                    changes.append("create \(type) \(name)")
                case (.some, nil):
                    differences.append("\(type) \(name): only in FROM")
                    changes.append("drop \(type) \(name)")
                case (.some(let before), .some(let after)) where before.sql != after.sql:
                    if type != "table" {
                        differences.append("\(type) \(name): defined differently")
                        changes.append("recreate \(type) \(name)")
                    } else if let added = Self.addedColumns(from: before.sql, to: after.sql) {
                        differences.append(
                            "table \(name): column\(added.count == 1 ? "" : "s") added: \(added.joined(separator: ", "))"
                        )
                        if let unsafe = added.first(where: Self.cannotBeAdded) {
                            inexpressible.append(
                                "table \(name): column \(unsafe) cannot be added by ALTER TABLE (a key, UNIQUE, STORED, or NOT NULL without a default)"
                            )
                        }
                        addedColumns[name] = added
                        changes += added.map { "add column \($0) to \(name)" }
                    } else {
                        let line = "table \(name): defined differently (FROM: \(before.sql); TO: \(after.sql))"
                        differences.append(line)
                        inexpressible.append(line)
                    }
                default: continue
                }
            }
        }
        if old.userVersion != new.userVersion {
            differences.append("user_version: \(old.userVersion) in FROM, \(new.userVersion) in TO")
            changes.append("user_version \(old.userVersion) → \(new.userVersion)")
        }
        if old.applicationID != new.applicationID {
            differences.append("application_id: \(old.applicationID) in FROM, \(new.applicationID) in TO")
            changes.append("application_id \(old.applicationID) → \(new.applicationID)")
        }
    }

    /// The column definitions TO's CREATE TABLE adds at the end of FROM's, the way SQLite
    /// rewrites the statement on `ALTER TABLE ADD COLUMN`; nil when the difference is another.
    static func addedColumns(from old: String, to new: String) -> [String]? {
        guard !old.uppercased().hasPrefix("CREATE VIRTUAL"), let oldClose = old.lastIndex(of: ")"),
            let newClose = new.lastIndex(of: ")")
        else { return nil }
        let oldBody = old[..<oldClose]
        let newBody = new[..<newClose]
        guard old[oldClose...] == new[newClose...], newBody.hasPrefix(oldBody) else { return nil }
        let rest = newBody.dropFirst(oldBody.count).drop { $0.isWhitespace }
        guard rest.first == "," else { return nil }
        let added = splitTopLevel(String(rest.dropFirst()))
        return added.isEmpty ? nil : added
    }

    static func cannotBeAdded(_ definition: String) -> Bool {
        let upper = definition.uppercased()
        return upper.contains("PRIMARY KEY") || upper.contains("UNIQUE") || upper.contains("STORED")
            || (upper.contains("NOT NULL") && !upper.contains("DEFAULT"))
    }

    /// Splits a column list at commas outside parentheses, quotes and brackets.
    static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        var quote: Character?
        for c in text {
            if let q = quote {
                current.append(c)
                if c == q { quote = nil }
                continue
            }
            switch c {
            case "'", "\"", "`": quote = c
            case "[": quote = "]"
            case "(": depth += 1
            case ")": depth -= 1
            case "," where depth == 0:
                parts.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                current = ""
                continue
            default: break
            }
            current.append(c)
        }
        let last = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.isEmpty { parts.append(last) }
        return parts
    }
}
