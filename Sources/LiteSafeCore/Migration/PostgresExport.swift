import Crypto
import Foundation
import Postgres
import SQLite

/// Copies a SQLite database into PostgreSQL with no silent coercion: every value is checked
/// against its column's PostgreSQL type on the way, and one that would change (text in an
/// INTEGER column, a non-UUID in a uuid column, Infinity into numeric, text that is not UTF-8
/// or holds a NUL) stops the export with a report, unless `--type` says how to store the column.
///
/// The load is one PostgreSQL transaction (tables, COPY, keys, indexes, foreign keys, identity
/// sequences), and before it commits, every table's row count and content checksum are computed
/// the same way on both sides; any difference rolls it back.
public struct PostgresExport: Sendable {
    /// A value that would not reach PostgreSQL unchanged.
    public struct Coercion: Sendable, Equatable, CustomStringConvertible {
        public let table: String
        public let column: String
        /// The row's key (its rowid or primary key), as text.
        public let row: String
        public let why: String
        public var description: String { "\(table).\(column), row \(row): \(why)" }
    }

    /// What an export (or a dry run) did.
    public struct Report: Sendable {
        public var plan: PostgresExportPlan
        /// The statements that create the tables (and what follows the load).
        public var statements: [String] = []
        /// Rows per table, in plan order.
        public var rows: [String: Int64] = [:]
        /// What was not exported, and why.
        public var notExported: [String] = []
    }

    /// Most coercions a report lists (it counts them all).
    var reportLimit = 20

    public init() {}

    /// The plan alone: types (declared, overridden, or chosen by the values), keys, indexes.
    public func plan(database: String, overrides: [String: String]) throws -> PostgresExportPlan {
        let source = try LogicalDump.openSource(database, busyTimeout: .seconds(5))
        try source.execute("BEGIN")
        defer { try? source.execute("ROLLBACK") }
        return try plan(source, overrides: overrides)
    }

    /// Checks every value against the plan without touching PostgreSQL (`--dry-run`).
    public func dryRun(database: String, schema: String, overrides: [String: String]) throws -> Report {
        let source = try LogicalDump.openSource(database, busyTimeout: .seconds(5))
        try source.execute("BEGIN")
        defer { try? source.execute("ROLLBACK") }
        var report = Report(plan: try plan(source, overrides: overrides))
        report.statements = report.plan.tables.map { createTable($0, schema: schema, keys: true) }
        var problems: [Coercion] = []
        var total = 0
        for table in report.plan.tables {
            report.rows[table.name] = try scan(table, source, problems: &problems, total: &total) { _ in }.rows
        }
        if total > 0 { throw ExportProblem.coercions(problems, total: total) }
        report.notExported = report.plan.notExported
        return report
    }

    /// Exports the database at `database` into `schema` of the PostgreSQL database at
    /// `connectionString`, verifies it, and commits; or rolls back and throws.
    public func export(
        database: String, to connectionString: String, schema: String, overrides: [String: String]
    ) throws -> Report {
        let source = try LogicalDump.openSource(database, busyTimeout: .seconds(5))
        try source.execute("BEGIN")
        defer { try? source.execute("ROLLBACK") }
        var report = Report(plan: try plan(source, overrides: overrides))
        report.notExported = report.plan.notExported.filter { !$0.hasPrefix("generated column") }
        let pg = try PostgresConnection(connectionString)
        try pg.execute("BEGIN")
        var committed = false
        defer { if !committed { try? pg.execute("ROLLBACK") } }
        // Text and bytea go in binary as UTF-8 and bytes, whatever encoding libpq would pick.
        try pg.execute(
            "SET LOCAL client_min_messages = warning; SET LOCAL client_encoding = 'UTF8'; "
                + "CREATE SCHEMA IF NOT EXISTS \(ident(schema))")
        // Keys and UNIQUE are added after the rows, as pgloader does too: one sorted index build
        // per key costs less than an index insertion per row. Every one is in place, checked,
        // before the transaction commits.
        for table in report.plan.tables {
            let sql = createTable(table, schema: schema, keys: false)
            report.statements.append(sql)
            try pg.execute(sql)
        }
        var problems: [Coercion] = []
        var total = 0
        var digests: [String: RowDigest] = [:]
        for table in report.plan.tables {
            if binary(table) {
                let result = try loadBinary(table, schema: schema, source, pg, problems: &problems, total: &total)
                report.rows[table.name] = result.rows
                digests[table.name] = result.digest
                continue
            }
            let columns = table.stored.map { ident($0.name) }.joined(separator: ", ")
            var result: (rows: Int64, digest: RowDigest) = (0, RowDigest())
            try pg.copyIn("COPY \(qualified(schema, table.name)) (\(columns)) FROM STDIN") { send in
                var buffer: [UInt8] = []
                result = try scan(table, source, problems: &problems, total: &total) { line in
                    buffer.append(contentsOf: line.utf8)
                    if buffer.count >= 256 << 10 {
                        try send(buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                }
                if !buffer.isEmpty { try send(buffer) }
            }
            report.rows[table.name] = result.rows
            digests[table.name] = result.digest
        }
        if total > 0 { throw ExportProblem.coercions(problems, total: total) }
        for table in report.plan.tables {
            report.statements += try finish(table, schema: schema, pg, notExported: &report.notExported)
        }
        var mismatches: [String] = []
        for table in report.plan.tables {
            let theirs =
                binary(table)
                ? try binaryDigest(table, schema: schema, pg)
                : try postgresDigest(table.name, schema: schema, columns: table.stored.map { ($0.name, $0.type) }, pg)
            if theirs.rows != report.rows[table.name] {
                mismatches.append(
                    "\(table.name): \(report.rows[table.name] ?? 0) rows in SQLite, \(theirs.rows) in PostgreSQL")
            } else if theirs.digest != digests[table.name] {
                mismatches.append("\(table.name): the rows' content differs")
            }
        }
        if !mismatches.isEmpty { throw ExportProblem.verificationFailed(mismatches) }
        try pg.execute("COMMIT")
        committed = true
        return report
    }

    /// Compares an existing PostgreSQL copy (made by anyone: pgloader, say) with the SQLite
    /// database: tables, columns, NOT NULL, row counts and content. Returns one line per
    /// difference; empty when the copy is whole.
    public func verify(database: String, against connectionString: String, schema: String) throws -> [String] {
        let source = try LogicalDump.openSource(database, busyTimeout: .seconds(5))
        try source.execute("BEGIN")
        defer { try? source.execute("ROLLBACK") }
        let plan = try self.plan(source, overrides: [:])
        let pg = try PostgresConnection(connectionString)
        // Text read in the database's own encoding would not compare with SQLite's UTF-8.
        try pg.execute("BEGIN TRANSACTION READ ONLY; SET LOCAL client_encoding = 'UTF8'")
        defer { try? pg.execute("ROLLBACK") }
        var differences = plan.notExported.filter { $0.hasPrefix("view") || $0.hasPrefix("trigger") }
            .map { $0.replacingOccurrences(of: "; not exported", with: "; not compared") }
        for table in plan.tables {
            let found = try pg.query(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                    + "WHERE table_schema = $1 AND table_name = $2", [schema, table.name])
            guard !found.isEmpty else {
                differences.append("\(table.name): no such table in PostgreSQL schema \(schema)")
                continue
            }
            var types: [String: (type: String, nullable: Bool)] = [:]
            for row in found { types[row[0] ?? ""] = (row[1] ?? "", row[2] == "YES") }
            var columns: [(String, PostgresType)] = []
            for column in table.stored {
                guard let target = types[column.name] else {
                    differences.append("\(table.name).\(column.name): no such column in PostgreSQL")
                    continue
                }
                if column.notNull && target.nullable {
                    differences.append("\(table.name).\(column.name): NOT NULL in SQLite, nullable in PostgreSQL")
                }
                if target.type == "real" {
                    differences.append(
                        "\(table.name).\(column.name): real (float4) in PostgreSQL rounds SQLite's 64-bit reals")
                }
                columns.append((column.name, PostgresType(verifying: target.type)))
            }
            for column in table.columns where column.generated != nil && types[column.name] == nil {
                differences.append("\(table.name).\(column.name): a generated column, missing in PostgreSQL")
            }
            var ours = (rows: Int64(0), digest: RowDigest())
            var none: [Coercion] = []
            var count = 0
            var compared = table
            compared.columns = table.columns.filter { c in columns.contains { $0.0 == c.name } }
            for (index, column) in compared.columns.enumerated() {
                compared.columns[index].type = columns.first { $0.0 == column.name }!.1
            }
            ours = try scan(compared, source, problems: &none, total: &count, check: false) { _ in }
            let theirs = try postgresDigest(table.name, schema: schema, columns: columns, pg)
            if theirs.rows != ours.rows {
                differences.append("\(table.name): \(ours.rows) rows in SQLite, \(theirs.rows) in PostgreSQL")
            } else if theirs.digest != ours.digest {
                differences.append("\(table.name): the rows' content differs (values changed on the way)")
            }
        }
        return differences
    }

    // MARK: Planning

    /// The plan, with every column typed by its values where its declaration does not say.
    private func plan(_ source: Connection, overrides: [String: String]) throws -> PostgresExportPlan {
        var plan = try PostgresExportPlan(source, overrides: overrides)
        for t in plan.tables.indices {
            for c in plan.tables[t].columns.indices where plan.tables[t].columns[c].typedByValues {
                let column = plan.tables[t].columns[c]
                let classes = Set(
                    try source.column(
                        "SELECT DISTINCT typeof(\(ident(column.name))) FROM \(ident(plan.tables[t].name))")
                )
                .subtracting(["null"])
                let (type, reason): (PostgresType, String) =
                    switch classes {
                    case ["integer"]: (.bigint, "no declared type; holds only integers")
                    case ["real"], ["integer", "real"]: (.doublePrecision, "no declared type; holds numbers")
                    case ["blob"]: (.bytea, "no declared type; holds only BLOBs")
                    case ["text"], []: (.text, "no declared type; holds only text")
                    default:
                        // Let the scan report each value that does not fit text.
                        (.text, "no declared type; holds \(classes.sorted().joined(separator: ", ")) values")
                    }
                plan.tables[t].columns[c].type = type
                plan.tables[t].columns[c].reason = reason
            }
        }
        return plan
    }

    /// Whether `table` goes in (and comes back for the verification) in COPY's binary format.
    func binary(_ table: PostgresExportPlan.Table) -> Bool {
        table.stored.allSatisfy { PostgresValue.hasBinaryForm($0.type) }
    }

    /// `CREATE TABLE` for `table`, with its primary key and UNIQUE constraints when `keys`.
    private func createTable(_ table: PostgresExportPlan.Table, schema: String, keys: Bool) -> String {
        var parts: [String] = []
        for column in table.stored {
            var definition = "\(ident(column.name)) \(column.type)"
            if column.name == table.identity { definition += " GENERATED BY DEFAULT AS IDENTITY" }
            if column.notNull && column.name != table.identity { definition += " NOT NULL" }
            if let value = column.defaultSQL.flatMap({ translateDefault($0, type: column.type) }) {
                definition += " DEFAULT \(value)"
            }
            parts.append(definition)
        }
        if keys { parts += keyConstraints(table) }
        return "CREATE TABLE \(qualified(schema, table.name)) (\n  " + parts.joined(separator: ",\n  ") + "\n)"
    }

    private func keyConstraints(_ table: PostgresExportPlan.Table) -> [String] {
        (table.primaryKey.isEmpty ? [] : ["PRIMARY KEY (\(table.primaryKey.map(ident).joined(separator: ", ")))"])
            + table.unique.map { "UNIQUE (\($0.joined(separator: ", ")))" }
    }

    /// A SQLite DEFAULT as PostgreSQL SQL, when it is a literal or a date keyword both know.
    private func translateDefault(_ sql: String, type: PostgresType) -> String? {
        let upper = sql.uppercased()
        if ["NULL", "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"].contains(upper) { return upper }
        if type == .boolean, sql == "0" || sql == "1" { return sql == "1" ? "true" : "false" }
        if sql.hasPrefix("'") && sql.hasSuffix("'") { return sql }
        if Double(sql) != nil || Double(sql.trimmingCharacters(in: CharacterSet(charactersIn: "()"))) != nil {
            return sql
        }
        return nil
    }

    /// After the rows: keys, identity sequences, generated columns, indexes, foreign keys.
    private func finish(
        _ table: PostgresExportPlan.Table, schema: String, _ pg: PostgresConnection, notExported: inout [String]
    ) throws -> [String] {
        var statements: [String] = []
        let name = qualified(schema, table.name)
        let constraints = keyConstraints(table)
        if !constraints.isEmpty {
            let sql = "ALTER TABLE \(name) " + constraints.map { "ADD \($0)" }.joined(separator: ", ")
            try pg.execute(sql)
            statements.append(sql)
        }
        if let identity = table.identity {
            let sql =
                "SELECT setval(pg_get_serial_sequence('\(name.replacingOccurrences(of: "'", with: "''"))', "
                + "\(SQLLiteral.string(identity))), coalesce(max(\(ident(identity))), 0) + 1, false) FROM \(name)"
            try pg.execute(sql)
            statements.append(sql)
        }
        for column in table.columns {
            guard let expression = column.generated else { continue }
            let sql =
                "ALTER TABLE \(name) ADD COLUMN \(ident(column.name)) \(column.type) GENERATED ALWAYS AS (\(expression)) STORED"
            try pg.execute("SAVEPOINT generated")
            do {
                try pg.execute(sql)
                statements.append(sql)
            } catch let error as PostgresError {
                try pg.execute("ROLLBACK TO SAVEPOINT generated")
                notExported.append(
                    "generated column \(table.name).\(column.name): its expression does not translate (\(error.message)); not exported"
                )
            }
            try pg.execute("RELEASE SAVEPOINT generated")
        }
        for index in table.indexes {
            guard let columns = index.columns else { continue }
            let sql =
                "CREATE \(index.unique ? "UNIQUE " : "")INDEX \(ident(index.name)) ON \(name) (\(columns.joined(separator: ", ")))"
            try pg.execute(sql)
            statements.append(sql)
        }
        for key in table.foreignKeys {
            let parentColumns =
                key.parentColumns.isEmpty ? "" : " (\(key.parentColumns.map(ident).joined(separator: ", ")))"
            let sql =
                "ALTER TABLE \(name) ADD FOREIGN KEY (\(key.columns.map(ident).joined(separator: ", "))) REFERENCES "
                + "\(qualified(schema, key.parent))\(parentColumns) ON UPDATE \(key.onUpdate) ON DELETE \(key.onDelete)"
            try pg.execute(sql)
            statements.append(sql)
        }
        return statements
    }

    // MARK: Rows

    /// Reads `table`'s rows, checks (with `check`) and writes each as a COPY line, and digests
    /// them; coercions are collected, not thrown, so a report can list them all.
    private func scan(
        _ table: PostgresExportPlan.Table, _ source: Connection, problems: inout [Coercion], total: inout Int,
        check: Bool = true, _ line: (String) throws -> Void
    ) throws -> (rows: Int64, digest: RowDigest) {
        let columns = table.stored
        let keys = (0..<keyCount(table)).map { $0 }
        let statement = try source.prepare(select(table))
        var digest = RowDigest()
        var rows: Int64 = 0
        while try statement.step() {
            var fields: [String] = []
            var canonical: [String?] = []
            for (i, column) in columns.enumerated() {
                let value = statement.value(at: Int32(keys.count + i))
                canonical.append(PostgresValue.canonical(sqlite: value, as: column.type))
                guard check else { continue }
                switch PostgresValue.field(value, as: column.type) {
                case .success(let field): fields.append(field)
                case .failure(let refusal):
                    total += 1
                    if problems.count < reportLimit {
                        let key = (0..<keys.count).map { describe(statement.value(at: Int32($0))) }.joined(
                            separator: ", ")
                        problems.append(Coercion(table: table.name, column: column.name, row: key, why: refusal.reason))
                    }
                    fields.append("\\N")
                }
            }
            digest.add(canonical)
            rows += 1
            // Once a value is refused nothing more is sent; the scan goes on to count the rest.
            if check && total == 0 { try line(fields.joined(separator: "\t") + "\n") }
        }
        return (rows, digest)
    }

    /// The rows of `table`: its key columns (or rowid), then its stored columns.
    func select(_ table: PostgresExportPlan.Table) -> String {
        let keys = table.primaryKey.isEmpty ? ["rowid"] : table.primaryKey.map(ident)
        return
            "SELECT \((keys + table.stored.map { ident($0.name) }).joined(separator: ", ")) FROM \(ident(table.name))"
    }

    /// How many key columns lead each row of ``select(_:)``.
    func keyCount(_ table: PostgresExportPlan.Table) -> Int { max(table.primaryKey.count, 1) }

    func describe(_ value: Value) -> String {
        switch value {
        case .integer(let n): String(n)
        case .text(let bytes): "'" + PostgresValue.preview(String(decoding: bytes, as: UTF8.self)) + "'"
        default: "\(value)"
        }
    }

    /// Row count and digest of a PostgreSQL table, read through a cursor (bounded memory).
    private func postgresDigest(
        _ table: String, schema: String, columns: [(String, PostgresType)], _ pg: PostgresConnection
    ) throws -> (rows: Int64, digest: RowDigest) {
        let list = columns.isEmpty ? "1" : columns.map { "\(ident($0.0))::text" }.joined(separator: ", ")
        try pg.execute("DECLARE litesafe_verify NO SCROLL CURSOR FOR SELECT \(list) FROM \(qualified(schema, table))")
        defer { try? pg.execute("CLOSE litesafe_verify") }
        var digest = RowDigest()
        var rows: Int64 = 0
        while true {
            let batch = try pg.query("FETCH 500 FROM litesafe_verify")
            if batch.isEmpty { break }
            for row in batch {
                digest.add(
                    columns.isEmpty
                        ? [] : columns.indices.map { PostgresValue.canonical(postgres: row[$0], as: columns[$0].1) })
                rows += 1
            }
        }
        return (rows, digest)
    }

    func ident(_ name: String) -> String { SQLLiteral.identifier(name) }
    func qualified(_ schema: String, _ table: String) -> String { ident(schema) + "." + ident(table) }
}

/// An order-independent digest of a table's rows: the sum, lane by lane, of each row's
/// SHA-256 over its canonical values, so both sides can read rows in any order.
struct RowDigest: Equatable, Sendable {
    private var lanes: [UInt64] = [0, 0, 0, 0]

    /// Adds a row given as its canonical bytes (the binary COPY's fields).
    mutating func add(row bytes: UnsafeRawBufferPointer) {
        add(SHA256.hash(data: bytes))
    }

    private mutating func add(_ hash: SHA256.Digest) {
        hash.withUnsafeBytes { bytes in
            for lane in 0..<4 {
                var word: UInt64 = 0
                for byte in bytes[(lane * 8)..<(lane * 8 + 8)] { word = word << 8 | UInt64(byte) }
                lanes[lane] &+= word
            }
        }
    }

    mutating func add(_ values: [String?]) {
        var hash = SHA256()
        for value in values {
            if let value {
                hash.update(data: Array(value.utf8))
                hash.update(data: [0x1F])
            } else {
                hash.update(data: [0x00, 0x1F])
            }
        }
        add(hash.finalize())
    }
}

extension PostgresType {
    /// The type to read a PostgreSQL column's text as, from `information_schema.columns.data_type`.
    init(verifying dataType: String) {
        switch dataType {
        case "real": self = .doublePrecision
        case "character varying", "character", "text": self = .text
        default: self = PostgresType(dataType)
        }
    }
}
