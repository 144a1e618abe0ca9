import Foundation
import SQLite

/// One table of TO compared with the same table of FROM (`main` and `target` on one
/// connection): the rows to delete, update and insert, matched by key (the rowid, the INTEGER
/// PRIMARY KEY, or a WITHOUT ROWID table's primary key).
struct TableComparison {
    let table: DumpSchema.Table
    let existed: Bool
    /// For an FTS5 table over another table's content: that table.
    let contentTable: String?
    private let keys: [String]
    private let columns: [String]
    private let deletedSQL: String?
    private let changedSQL: String
    private let existsSQL: String?

    private var name: String { SQLLiteral.identifier(table.name) }

    init(_ table: DumpSchema.Table, existed: Bool, _ c: Connection) throws {
        self.table = table
        self.existed = existed
        contentTable = table.kind == .externalContent ? Self.contentOption(table.sql) : nil
        keys = table.rowid.map { [$0] } ?? table.order
        if keys.isEmpty && (table.kind == .ordinary || table.kind == .virtual) {
            throw DatabaseDiff.Refused(
                differences: ["table \(table.name): its rows have no key to match them by (no rowid, no primary key)"],
                expressibleWithSchema: false)
        }
        let keys = self.keys
        columns = table.columns.filter { column in !keys.contains { $0.lowercased() == column.lowercased() } }
        let quoted = SQLLiteral.identifier(table.name)
        let newTable = "target." + quoted
        let oldTable = "main." + quoted
        let all = keys + columns
        // typeof() beside each value: in SQL 1 = 1.0, and a diff must see the change of type.
        // COLLATE BINARY: EXCEPT compares with each column's own collation, and under NOCASE or
        // RTRIM 'bob' and 'Bob ' are one value; a diff must see every byte.
        let newProjection = all.map {
            "\(SQLLiteral.identifier($0)) COLLATE BINARY, typeof(\(SQLLiteral.identifier($0)))"
        }
        // Keys come first; with each value followed by its type, key i is column 2i+1.
        let order = (0..<keys.count).map { String($0 * 2 + 1) }.joined(separator: ", ")
        guard existed else {
            deletedSQL = nil
            existsSQL = nil
            changedSQL = "SELECT \(newProjection.joined(separator: ", ")) FROM \(newTable) ORDER BY \(order)"
            return
        }
        let oldColumns = Set(
            try c.column("SELECT lower(name) FROM pragma_table_xinfo(\(SQLLiteral.string(table.name)), 'main')"))
        let oldProjection = all.map { column -> String in
            // A column added by ALTER TABLE holds its default in every old row.
            let value =
                oldColumns.contains(column.lowercased()) || keys.contains(column)
                ? SQLLiteral.identifier(column) : "(\(table.defaults[column] ?? "NULL"))"
            return "\(value) COLLATE BINARY, typeof(\(value))"
        }
        changedSQL =
            "SELECT * FROM (SELECT \(newProjection.joined(separator: ", ")) FROM \(newTable) EXCEPT SELECT "
            + "\(oldProjection.joined(separator: ", ")) FROM \(oldTable)) ORDER BY \(order)"
        let match = keys.map { "o.\(SQLLiteral.identifier($0)) IS n.\(SQLLiteral.identifier($0)) COLLATE BINARY" }
        deletedSQL =
            "SELECT \(keys.map { "o." + SQLLiteral.identifier($0) }.joined(separator: ", ")) FROM \(oldTable) o "
            + "WHERE NOT EXISTS (SELECT 1 FROM \(newTable) n WHERE \(match.joined(separator: " AND "))) "
            + "ORDER BY \(keys.map(SQLLiteral.identifier).joined(separator: ", "))"
        let conditions = keys.enumerated().map {
            "o.\(SQLLiteral.identifier($0.element)) IS ?\($0.offset + 1) COLLATE BINARY"
        }
        existsSQL = "SELECT 1 FROM \(oldTable) o WHERE " + conditions.joined(separator: " AND ")
    }

    /// Whether any row differs (a new table: whether it has rows).
    func hasChanges(_ c: Connection) throws -> Bool {
        switch table.kind {
        case .contentless: return false
        case .externalContent: return !existed
        case .ordinary, .virtual: break
        }
        if let deletedSQL, try c.integer("SELECT EXISTS (\(deletedSQL))") != 0 { return true }
        return try c.integer("SELECT EXISTS (\(changedSQL))") != 0
    }

    /// Writes the table's deletes, then its updates and inserts, each in key order.
    func write(_ c: Connection, into out: inout LogicalDump.Output) throws -> DatabaseDiff.TableChanges {
        var changes = DatabaseDiff.TableChanges(table: table.name)
        switch table.kind {
        case .contentless: return changes
        case .externalContent:
            try out.line("INSERT INTO \(name)(\(name)) VALUES('rebuild');")
            return changes
        case .ordinary, .virtual: break
        }
        if let deletedSQL {
            let deleted = try c.prepare(deletedSQL)
            while try deleted.step() {
                var line = Array("DELETE FROM \(name) WHERE ".utf8)
                appendKeyCondition((0..<keys.count).map { deleted.value(at: Int32($0)) }, to: &line)
                line.append(contentsOf: ";\n".utf8)
                out.bytes.append(contentsOf: line)
                try out.flushIfFull()
                changes.deletes += 1
            }
        }
        let changed = try c.prepare(changedSQL)
        let exists = try existsSQL.map { try c.prepare($0) }
        let count = keys.count + columns.count
        while try changed.step() {
            let values = (0..<count).map { changed.value(at: Int32($0 * 2)) }
            var isUpdate = false
            if let exists {
                exists.reset()
                for (i, value) in values.prefix(keys.count).enumerated() { try exists.bind(value, at: Int32(i + 1)) }
                isUpdate = try exists.step()
            }
            var line: [UInt8] = []
            if isUpdate {
                line.append(contentsOf: "UPDATE \(name) SET ".utf8)
                for (i, column) in columns.enumerated() {
                    if i > 0 { line.append(UInt8(ascii: ",")) }
                    line.append(contentsOf: "\(SQLLiteral.identifier(column))=".utf8)
                    SQLLiteral.append(values[keys.count + i], to: &line)
                }
                line.append(contentsOf: " WHERE ".utf8)
                appendKeyCondition(Array(values.prefix(keys.count)), to: &line)
                changes.updates += 1
            } else {
                let names = (keys + columns).map { $0 == table.rowid ? $0 : SQLLiteral.identifier($0) }
                line.append(contentsOf: "INSERT INTO \(name)(\(names.joined(separator: ","))) VALUES(".utf8)
                for (i, value) in values.enumerated() {
                    if i > 0 { line.append(UInt8(ascii: ",")) }
                    SQLLiteral.append(value, to: &line)
                }
                line.append(UInt8(ascii: ")"))
                changes.inserts += 1
            }
            line.append(contentsOf: ";\n".utf8)
            out.bytes.append(contentsOf: line)
            try out.flushIfFull()
        }
        return changes
    }

    private func appendKeyCondition(_ values: [Value], to line: inout [UInt8]) {
        for (i, key) in keys.enumerated() {
            if i > 0 { line.append(contentsOf: " AND ".utf8) }
            line.append(contentsOf: "\(SQLLiteral.identifier(key))=".utf8)
            SQLLiteral.append(values[i], to: &line)
        }
    }

    /// The `content=` option of an FTS5 table's CREATE VIRTUAL TABLE statement.
    static func contentOption(_ sql: String) -> String? {
        guard let range = sql.range(of: "content", options: .caseInsensitive) else { return nil }
        var rest = sql[range.upperBound...].drop { $0.isWhitespace }
        guard rest.first == "=" else { return nil }
        rest = rest.dropFirst().drop { $0.isWhitespace }
        guard let quote = rest.first, quote == "'" || quote == "\"" else {
            return String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        }
        return String(rest.dropFirst().prefix { $0 != quote })
    }
}
