import Foundation
import SQLite

/// What a dump needs to know of a database's schema, read inside the dump's transaction.
struct DumpSchema {
    /// A table whose rows the dump writes.
    struct Table {
        enum Kind: Equatable {
            case ordinary
            /// A virtual table whose rows are written through it (FTS5 with its own content,
            /// R*Tree, …); its shadow tables are never dumped.
            case virtual
            /// An FTS5 table over another table's content: rebuilt from it after the data.
            case externalContent
            /// An FTS5 table with `content=''`: it keeps no rows to dump.
            case contentless
        }

        let name: String
        let sql: String
        let kind: Kind
        /// The columns an INSERT can set (not generated, not hidden).
        let columns: [String]
        /// The name to read and write the rowid by, when it must be kept (a rowid table without
        /// an INTEGER PRIMARY KEY, whose rowids are not otherwise in its columns).
        let rowid: String?
        /// What the rows are ordered by, so the same content always gives the same dump; also
        /// the key a diff matches rows by.
        let order: [String]
        /// Each column's DEFAULT expression, where it has one.
        var defaults: [String: String] = [:]
        /// Whether `columns` are all the table's columns, in order, and no rowid is kept apart,
        /// so an INSERT can leave out the column list (as `sqlite3 .dump` does).
        var insertsEveryColumn = false
    }

    /// Tables in creation order, without SQLite's own and without shadow tables.
    var tables: [Table] = []
    /// Whether `sqlite_sequence` (AUTOINCREMENT's counters) exists.
    var hasSequence = false
    /// Whether `sqlite_stat1` (ANALYZE's statistics) exists.
    var hasStatistics = false
    /// CREATE INDEX, TRIGGER and VIEW statements in creation order.
    var others: [String] = []

    init(_ connection: Connection) throws {
        let shadow = Set(
            try Self.names(connection, "SELECT name FROM pragma_table_list WHERE schema='main' AND type='shadow'"))
        let entries = try connection.prepare(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid")
        var tableEntries: [(name: String, sql: String)] = []
        while try entries.step() {
            let type = entries.text(at: 0) ?? ""
            let name = entries.text(at: 1) ?? ""
            let owner = entries.text(at: 2) ?? ""
            let sql = entries.text(at: 3) ?? ""
            if shadow.contains(name) || shadow.contains(owner) { continue }
            switch type {
            case "table":
                if name == "sqlite_sequence" {
                    hasSequence = true
                } else if name == "sqlite_stat1" {
                    hasStatistics = true
                } else if !name.hasPrefix("sqlite_") {
                    tableEntries.append((name, sql))
                }
            case "index", "trigger", "view": others.append(sql)
            default: continue
            }
        }
        for entry in tableEntries { tables.append(try Self.table(entry.name, sql: entry.sql, connection)) }
    }

    /// What a dump or a diff needs to know of table `name` (created by `sql`) in `schema`.
    static func table(_ name: String, sql: String, schema: String = "main", _ connection: Connection) throws -> Table {
        let quoted = SQLLiteral.identifier(schema) + "." + SQLLiteral.identifier(name)
        if sql.uppercased().hasPrefix("CREATE VIRTUAL TABLE") {
            let options = sql.lowercased().filter { !$0.isWhitespace }
            let kind: Table.Kind
            if options.contains("usingfts5"), options.contains("content=''") || options.contains("content=\"\"") {
                kind = .contentless
            } else if options.contains("usingfts5"), options.contains("content=") {
                kind = .externalContent
            } else {
                kind = .virtual
            }
            // A virtual table's declared columns, in order, as `SELECT *` returns them.
            let probe = try connection.prepare("SELECT * FROM \(quoted) LIMIT 0")
            let columns = (0..<probe.columnCount).map { probe.columnName(at: $0) }
            // FTS5 and R*Tree tables answer to `rowid`; one that does not is written without it.
            let hasRowid = (try? connection.prepare("SELECT rowid FROM \(quoted) LIMIT 0")) != nil
            let rowid = hasRowid && !columns.contains { $0.lowercased() == "rowid" } ? "rowid" : nil
            return Table(
                name: name, sql: sql, kind: kind, columns: columns, rowid: rowid, order: rowid.map { [$0] } ?? [])
        }

        struct Column {
            let name: String
            let type: String
            let primaryKey: Int
            let hidden: Int
            let defaultValue: String?
        }
        let info = try connection.prepare("SELECT name, type, pk, hidden, dflt_value FROM pragma_table_xinfo(?, ?)")
        try info.bind(name, at: 1)
        try info.bind(schema, at: 2)
        var all: [Column] = []
        while try info.step() {
            all.append(
                Column(
                    name: info.text(at: 0) ?? "", type: (info.text(at: 1) ?? "").uppercased(),
                    primaryKey: Int(info.integer(at: 2)), hidden: Int(info.integer(at: 3)),
                    defaultValue: info.text(at: 4)))
        }
        // hidden: 0 an ordinary column, 2 and 3 generated (virtual, stored); they are computed.
        let columns = all.filter { $0.hidden == 0 }.map(\.name)
        let keys = all.filter { $0.primaryKey > 0 }.sorted { $0.primaryKey < $1.primaryKey }
        let defaults = Dictionary(uniqueKeysWithValues: all.compactMap { c in c.defaultValue.map { (c.name, $0) } })
        let everyColumn = all.allSatisfy { $0.hidden == 0 }
        if isWithoutRowid(sql) {
            return Table(
                name: name, sql: sql, kind: .ordinary, columns: columns, rowid: nil, order: keys.map(\.name),
                defaults: defaults, insertsEveryColumn: everyColumn)
        }
        let names = Set(all.map { $0.name.lowercased() })
        let alias = ["rowid", "_rowid_", "oid"].first { !names.contains($0) }
        // An INTEGER PRIMARY KEY is the rowid itself, already among the columns; declared
        // `PRIMARY KEY DESC` it is not (a quirk SQLite keeps: lang_createtable.html#rowid).
        let integerKey = keys.count == 1 && keys[0].type == "INTEGER" && !Self.isDescendingKey(keys[0].name, in: sql)
        let order = integerKey ? [keys[0].name] : alias.map { [$0] } ?? []
        return Table(
            name: name, sql: sql, kind: .ordinary, columns: columns, rowid: integerKey ? nil : alias, order: order,
            defaults: defaults, insertsEveryColumn: everyColumn && integerKey)
    }

    /// Whether column `name`'s definition in a CREATE TABLE statement says `PRIMARY KEY DESC`.
    static func isDescendingKey(_ name: String, in sql: String) -> Bool {
        guard let open = sql.firstIndex(of: "("), let close = sql.lastIndex(of: ")") else { return false }
        for definition in SchemaPlan.splitTopLevel(String(sql[sql.index(after: open)..<close])) {
            let words = definition.uppercased().split(whereSeparator: \.isWhitespace)
            let column = definition.split(whereSeparator: \.isWhitespace).first.map {
                $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"`[]'"))
            }
            guard column?.lowercased() == name.lowercased() else { continue }
            for index in words.indices.dropLast(2) where words[index] == "PRIMARY" && words[index + 1] == "KEY" {
                if words[index + 2].hasPrefix("DESC") { return true }
            }
        }
        return false
    }

    /// Whether a CREATE TABLE statement ends with the WITHOUT ROWID option (the options come
    /// after the closing parenthesis of the column list, and hold no parentheses themselves).
    static func isWithoutRowid(_ sql: String) -> Bool {
        guard let close = sql.lastIndex(of: ")") else { return false }
        let options = sql[sql.index(after: close)...].uppercased().filter { !$0.isWhitespace }
        return options.split(separator: ",").contains("WITHOUTROWID")
    }

    private static func names(_ connection: Connection, _ sql: String) throws -> [String] {
        try connection.column(sql)
    }
}
