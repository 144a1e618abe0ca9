import Foundation
import SQLite

/// What an export creates in PostgreSQL for one SQLite database, read from its schema: each
/// table's columns with their PostgreSQL types (by the documented map, or an override), keys,
/// NOT NULL, defaults, UNIQUE, foreign keys and indexes; and what it cannot export.
public struct PostgresExportPlan: Sendable {
    public struct Column: Sendable, Equatable {
        public let name: String
        public let declared: String
        public var type: PostgresType
        public var reason: String
        /// The type the operator chose for this column (the command line words it), if any.
        public var override: String? = nil
        public let notNull: Bool
        public let defaultSQL: String?
        /// A generated column's expression (SQLite computes it; PostgreSQL must as well).
        public let generated: String?
        /// Whether the values decide the type (no declared type, or STRICT's ANY).
        public let typedByValues: Bool
    }

    public struct Table: Sendable, Equatable {
        public let name: String
        public var columns: [Column]
        public let primaryKey: [String]
        /// An INTEGER PRIMARY KEY: an identity column whose sequence is set past the maximum.
        public let identity: String?
        public let unique: [[String]]
        public let foreignKeys: [ForeignKey]
        public let indexes: [Index]
        /// Stored columns, in order: what COPY loads and the checksum covers.
        public var stored: [Column] { columns.filter { $0.generated == nil } }
    }

    public struct ForeignKey: Sendable, Equatable {
        public let columns: [String]
        public let parent: String
        public let parentColumns: [String]
        public let onUpdate: String
        public let onDelete: String
    }

    public struct Index: Sendable, Equatable {
        public let name: String
        public let unique: Bool
        /// Column names with their order (`"a" DESC`); nil for an expression or partial index.
        public let columns: [String]?
        public let sql: String
    }

    public var tables: [Table] = []
    /// What is not exported, and why (views, triggers, virtual tables, untranslatable parts).
    public var notExported: [String] = []

    /// Reads the plan from the database `connection` has open; `overrides` maps
    /// "table.column" to a PostgreSQL type name.
    init(_ c: Connection, overrides: [String: String]) throws {
        let shadow = Set(try c.column("SELECT name FROM pragma_table_list WHERE schema='main' AND type='shadow'"))
        let objects = try c.prepare(
            "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY type = 'table' DESC, rowid")
        var used = Set<String>()
        while try objects.step() {
            let (type, name, sql) = (objects.text(at: 0) ?? "", objects.text(at: 1) ?? "", objects.text(at: 2) ?? "")
            if name.hasPrefix("sqlite_") || shadow.contains(name) { continue }
            switch type {
            case "table" where sql.uppercased().hasPrefix("CREATE VIRTUAL"):
                notExported.append("virtual table \(name): PostgreSQL has no equivalent module; not exported")
            case "table": tables.append(try Self.table(name, c, overrides: overrides, used: &used))
            case "view": notExported.append("view \(name): its SQL dialect differs; not exported")
            case "trigger": notExported.append("trigger \(name): its SQL dialect differs; not exported")
            default: continue
            }
        }
        for key in overrides.keys.sorted() where !used.contains(key) {
            throw ExportProblem.unknownOverride(key)
        }
        for table in tables {
            for index in table.indexes where index.columns == nil {
                notExported.append("index \(index.name) on \(table.name): an expression or partial index; not exported")
            }
            for column in table.columns where column.generated != nil {
                notExported.append(
                    "generated column \(table.name).\(column.name): created as a PostgreSQL generated column if its expression translates, else left out (said at export)"
                )
            }
        }
    }

    private static func table(
        _ name: String, _ c: Connection, overrides: [String: String], used: inout Set<String>
    ) throws -> Table {
        let info = try c.prepare("SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?)")
        try info.bind(name, at: 1)
        var columns: [Column] = []
        var keys: [(Int, String, String)] = []
        let sql =
            try c.column("SELECT sql FROM sqlite_schema WHERE type='table' AND name=\(SQLLiteral.string(name))")
            .first ?? ""
        while try info.step() {
            let column = info.text(at: 0) ?? ""
            let declared = info.text(at: 1) ?? ""
            let hidden = Int(info.integer(at: 5))
            let key = "\(name).\(column)"
            var type: PostgresType = .text
            var reason = ""
            var override: String?
            var typedByValues = false
            if let chosen = overrides[key] {
                type = PostgresType(chosen)
                reason = "chosen: \(key)=\(chosen)"
                override = chosen
                used.insert(key)
            } else if let mapped = PostgresType.mapping(declared: declared) {
                (type, reason) = mapped
            } else {
                typedByValues = true
                reason = "no declared type: chosen by the values it holds"
            }
            let generated = hidden == 2 || hidden == 3 ? Self.generatedExpression(column, in: sql) : nil
            columns.append(
                Column(
                    name: column, declared: declared, type: type, reason: reason, override: override,
                    notNull: info.integer(at: 2) != 0,
                    defaultSQL: info.text(at: 3), generated: generated, typedByValues: typedByValues))
            let pk = Int(info.integer(at: 4))
            if pk > 0 { keys.append((pk, column, declared.uppercased())) }
        }
        let primaryKey = keys.sorted { $0.0 < $1.0 }.map(\.1)
        let withoutRowid = DumpSchema.isWithoutRowid(sql)
        let identity = keys.count == 1 && keys[0].2 == "INTEGER" && !withoutRowid ? keys[0].1 : nil
        var unique: [[String]] = []
        var indexes: [Index] = []
        let list = try c.prepare("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?) ORDER BY name")
        try list.bind(name, at: 1)
        while try list.step() {
            let indexName = list.text(at: 0) ?? ""
            let origin = list.text(at: 2) ?? ""
            let partial = list.integer(at: 3) != 0
            let parts = try c.prepare(
                "SELECT name, \"desc\", cid FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno")
            try parts.bind(indexName, at: 1)
            var names: [String] = []
            var expression = partial
            while try parts.step() {
                if parts.integer(at: 2) < 0 { expression = true }
                names.append(
                    SQLLiteral.identifier(parts.text(at: 0) ?? "") + (parts.integer(at: 1) != 0 ? " DESC" : ""))
            }
            switch origin {
            case "pk": continue
            case "u": unique.append(names)
            default:
                let indexSQL =
                    try c.column(
                        "SELECT sql FROM sqlite_schema WHERE type='index' AND name=\(SQLLiteral.string(indexName))"
                    )
                    .first ?? ""
                indexes.append(
                    Index(
                        name: indexName, unique: list.integer(at: 1) != 0, columns: expression ? nil : names,
                        sql: indexSQL))
            }
        }
        var foreignKeys: [Int: ForeignKey] = [:]
        let fks = try c.prepare(
            "SELECT id, \"from\", \"table\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq"
        )
        try fks.bind(name, at: 1)
        while try fks.step() {
            let id = Int(fks.integer(at: 0))
            let previous = foreignKeys[id]
            let parentColumn = fks.text(at: 3)
            foreignKeys[id] = ForeignKey(
                columns: (previous?.columns ?? []) + [fks.text(at: 1) ?? ""], parent: fks.text(at: 2) ?? "",
                parentColumns: (previous?.parentColumns ?? []) + (parentColumn.map { [$0] } ?? []),
                onUpdate: fks.text(at: 4) ?? "NO ACTION", onDelete: fks.text(at: 5) ?? "NO ACTION")
        }
        return Table(
            name: name, columns: columns, primaryKey: primaryKey, identity: identity, unique: unique,
            foreignKeys: foreignKeys.keys.sorted().compactMap { foreignKeys[$0] }, indexes: indexes)
    }

    /// The expression of generated column `column` in a CREATE TABLE statement: the text in
    /// the parentheses after `AS` in that column's definition.
    static func generatedExpression(_ column: String, in sql: String) -> String? {
        guard let open = sql.firstIndex(of: "("), let close = sql.lastIndex(of: ")") else { return nil }
        let definitions = SchemaPlan.splitTopLevel(String(sql[sql.index(after: open)..<close]))
        for definition in definitions {
            let name = definition.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
            let bare = name.trimmingCharacters(in: CharacterSet(charactersIn: "\"`[]'"))
            guard bare.lowercased() == column.lowercased(),
                let asRange = definition.range(of: " AS ", options: .caseInsensitive)
            else { continue }
            let rest = definition[asRange.upperBound...].drop { $0.isWhitespace }
            guard rest.first == "(" else { return nil }
            var depth = 0
            var end = rest.startIndex
            for index in rest.indices {
                if rest[index] == "(" { depth += 1 }
                if rest[index] == ")" {
                    depth -= 1
                    if depth == 0 {
                        end = index
                        break
                    }
                }
            }
            return String(rest[rest.index(after: rest.startIndex)..<end])
        }
        return nil
    }
}

/// Why an export cannot start or finish as asked; the command line's words for the fix (its
/// `--type` option) are the edge's to add.
public enum ExportProblem: Error, Equatable, CustomStringConvertible {
    /// A type override names a column the database does not have.
    case unknownOverride(String)
    /// Values that would change on their way into PostgreSQL.
    case coercions([PostgresExport.Coercion], total: Int)
    /// Rows or content in PostgreSQL differ from SQLite's after the load (rolled back).
    case verificationFailed([String])

    public var description: String {
        switch self {
        case .unknownOverride(let key): "\(key): there is no such table.column in the database"
        case .coercions(let problems, let total):
            "\(total) \(total == 1 ? "value" : "values") would not reach PostgreSQL unchanged:\n"
                + problems.map { "  " + $0.description }.joined(separator: "\n")
                + (total > problems.count ? "\n  … and \(total - problems.count) more" : "")
                + "\nnothing was exported"
        case .verificationFailed(let lines):
            "PostgreSQL's copy does not match the SQLite database, so it was rolled back:\n"
                + lines.map { "  " + $0 }.joined(separator: "\n")
        }
    }
}
