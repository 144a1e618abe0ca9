import Foundation
import SQLite

/// The SQL that turns one database (FROM) into another (TO), like `sqldiff` but with what it
/// leaves out: triggers, views, indexes, `user_version` and `application_id`; virtual tables
/// changed through themselves, never through their shadow tables; STRICT tables; one
/// transaction. Both databases are read in one read transaction each, so each is one snapshot.
///
/// The seed's rule first: databases whose schemas or `user_version` differ are refused with the
/// list of differences, unless `includeSchema` asks for the schema changes a diff can express
/// safely (new and dropped tables, indexes, views and triggers; columns added at the end of a
/// table, as `ALTER TABLE ADD COLUMN` would have); anything else is refused as well.
public struct DatabaseDiff: Sendable {
    /// What changed in one table.
    public struct TableChanges: Sendable, Equatable {
        public let table: String
        public var inserts = 0
        public var updates = 0
        public var deletes = 0
        public var isEmpty: Bool { inserts == 0 && updates == 0 && deletes == 0 }
    }

    /// What a diff wrote.
    public struct Summary: Sendable, Equatable {
        public var tables: [TableChanges] = []
        /// Schema changes, one line each ("create table t", "add column c to t", …).
        public var schemaChanges: [String] = []
        public var isEmpty: Bool { schemaChanges.isEmpty && tables.allSatisfy(\.isEmpty) }
    }

    /// Why two databases cannot be diffed as asked.
    public struct Refused: Error, Equatable, CustomStringConvertible {
        /// Each difference, one line.
        public let differences: [String]
        /// Whether `includeSchema` would express them all.
        public let expressibleWithSchema: Bool

        public var description: String {
            "the schemas differ:\n" + differences.map { "  " + $0 }.joined(separator: "\n")
        }
    }

    public init() {}

    /// Writes the SQL that turns the database at `from` into the one at `to` to `sink`.
    public func write(
        from: String, to: String, includeSchema: Bool, to sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Summary {
        let connection = try Connection(path: from, options: [.readWrite, .noFollow, .uri])
        connection.setBusyTimeout(milliseconds: 5000)
        try connection.execute("PRAGMA query_only=1")
        let attach = try connection.prepare("ATTACH ? AS target")
        try attach.bind("file:" + Self.uriPath(to) + "?mode=ro", at: 1)
        try attach.step()
        try connection.execute("BEGIN")
        defer { try? connection.execute("ROLLBACK") }
        return try withoutActuallyEscaping(sink) { sink in
            var out = LogicalDump.Output(limit: 256 << 10, sink: sink)
            let summary = try write(connection, includeSchema: includeSchema, into: &out)
            try out.flush()
            return summary
        }
    }

    private func write(_ c: Connection, includeSchema: Bool, into out: inout LogicalDump.Output) throws -> Summary {
        let old = try SchemaObjects(c, schema: "main")
        let new = try SchemaObjects(c, schema: "target")
        let plan = try SchemaPlan(old: old, new: new, connection: c)
        if !plan.differences.isEmpty && (!includeSchema || !plan.inexpressible.isEmpty) {
            throw Refused(
                differences: plan.inexpressible + plan.differences.filter { !plan.inexpressible.contains($0) },
                expressibleWithSchema: plan.inexpressible.isEmpty)
        }
        var summary = Summary()
        summary.schemaChanges = plan.changes

        // Which tables' rows change, found before anything is written, so that only their
        // triggers are dropped and created again.
        var comparisons: [TableComparison] = []
        for table in new.objects(ofType: "table") {
            let target = try DumpSchema.table(table.name, sql: table.sql, schema: "target", c)
            comparisons.append(try TableComparison(target, existed: old.object("table", table.name) != nil, c))
        }
        var changed = Set(try comparisons.filter { try $0.hasChanges(c) }.map(\.table.name))
        for comparison in comparisons where comparison.table.kind == .externalContent {
            // An FTS5 index over another table's content follows that table.
            if let content = comparison.contentTable, changed.contains(content) {
                changed.insert(comparison.table.name)
            }
        }
        let triggersToDrop = old.objects(ofType: "trigger").filter {
            changed.contains($0.table) || new.object("trigger", $0.name)?.sql != $0.sql
        }
        let triggersToCreate = new.objects(ofType: "trigger").filter {
            changed.contains($0.table) || old.object("trigger", $0.name)?.sql != $0.sql
        }

        try out.line("-- SQL that turns one database into another, by LiteSafe; apply it with: sqlite3 FROM.db < FILE")
        try out.line("PRAGMA foreign_keys=OFF;")
        try out.line("BEGIN TRANSACTION;")
        // Triggers would fire on the row changes below and change other rows.
        for trigger in triggersToDrop { try out.line("DROP TRIGGER \(SQLLiteral.identifier(trigger.name));") }
        for type in ["view", "index"] {
            for object in old.objects(ofType: type) where new.object(type, object.name)?.sql != object.sql {
                try out.line("DROP \(type.uppercased()) \(SQLLiteral.identifier(object.name));")
            }
        }
        for table in old.objects(ofType: "table") where new.object("table", table.name) == nil {
            try out.line("DROP TABLE \(SQLLiteral.identifier(table.name));")
        }
        for table in new.objects(ofType: "table") {
            if old.object("table", table.name) == nil {
                try out.line(table.sql + ";")
            } else {
                for column in plan.addedColumns[table.name] ?? [] {
                    try out.line("ALTER TABLE \(SQLLiteral.identifier(table.name)) ADD COLUMN \(column);")
                }
            }
        }
        for comparison in comparisons where changed.contains(comparison.table.name) {
            summary.tables.append(try comparison.write(c, into: &out))
        }
        if new.hasSequence {
            summary.tables.append(try sequence(oldHasIt: old.hasSequence, c, into: &out))
        }
        for type in ["index", "view"] {
            for object in new.objects(ofType: type) where old.object(type, object.name)?.sql != object.sql {
                try out.line(object.sql + ";")
            }
        }
        for trigger in triggersToCreate { try out.line(trigger.sql + ";") }
        if old.userVersion != new.userVersion { try out.line("PRAGMA user_version=\(new.userVersion);") }
        if old.applicationID != new.applicationID { try out.line("PRAGMA application_id=\(new.applicationID);") }
        try out.line("COMMIT;")
        summary.tables.removeAll { $0.isEmpty }
        return summary
    }

    /// AUTOINCREMENT's counters, as TO has them.
    private func sequence(oldHasIt: Bool, _ c: Connection, into out: inout LogicalDump.Output) throws -> TableChanges {
        var changes = TableChanges(table: "sqlite_sequence")
        let differs = try c.integer(
            "SELECT count(*) FROM (SELECT name, seq FROM target.sqlite_sequence EXCEPT SELECT name, seq FROM main.sqlite_sequence"
                + (oldHasIt ? "" : " WHERE 0") + ")")
        let removed =
            oldHasIt
            ? try c.integer(
                "SELECT count(*) FROM main.sqlite_sequence WHERE name NOT IN (SELECT name FROM target.sqlite_sequence)")
            : 0
        guard differs > 0 || removed > 0 else { return changes }
        try out.line("DELETE FROM sqlite_sequence;")
        let rows = try c.prepare("SELECT name, seq FROM target.sqlite_sequence ORDER BY name")
        while try rows.step() {
            var line = Array("INSERT INTO sqlite_sequence(name,seq) VALUES(".utf8)
            SQLLiteral.append(rows.value(at: 0), to: &line)
            line.append(UInt8(ascii: ","))
            SQLLiteral.append(rows.value(at: 1), to: &line)
            line.append(contentsOf: ");\n".utf8)
            out.bytes.append(contentsOf: line)
            changes.inserts += 1
        }
        return changes
    }

    /// A path for a `file:` URI: everything but unreserved characters and `/` percent-encoded.
    static func uriPath(_ path: String) -> String {
        var result = ""
        for byte in path.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80 && (c.isLetter || c.isNumber || "-._~/".contains(c)) {
                result.append(c)
            } else {
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }
}
