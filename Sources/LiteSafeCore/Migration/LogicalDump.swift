import SQLite

/// A logical SQL dump of one database: schema and rows as SQL text that stock
/// `sqlite3 NEW.db < FILE` loads, read inside one read transaction (one consistent snapshot,
/// which in WAL mode never blocks writers), with what `sqlite3 .dump` loses put back
/// (`user_version`, `application_id`, WAL mode) and nothing that depends on when or where it
/// was taken: the same content always gives the same bytes.
///
/// Unlike `.dump` it never writes `sqlite_schema` directly (so the dump loads under
/// `SQLITE_DBCONFIG_DEFENSIVE`): a virtual table is created with its own statement and filled
/// through it, and its shadow tables are left to it.
public struct LogicalDump: Sendable {
    /// What a dump wrote.
    public struct Summary: Sendable, Equatable {
        public var tables = 0
        public var rows: Int64 = 0
        public var bytes: Int64 = 0
        /// What the dump could not carry, each with the table it concerns.
        public var warnings: [String] = []
        /// The source as the dump's read transaction saw it: what a stored dump's manifest records.
        public var sqliteVersion = ""
        public var pageSize = 0
        public var pageCount = 0
        public var walMode = false
    }

    /// The first line of every dump of ours.
    public static let header =
        "-- SQLite logical dump by LiteSafe; load it with: sqlite3 NEW.db < FILE"

    /// Bytes held before they are handed on.
    var bufferSize = 256 << 10

    public init() {}

    /// Writes the dump of the database at `path` to `sink`, in chunks.
    ///
    /// The database is opened as it exists (never created), not through a symbolic link, and
    /// `query_only`, so nothing the dump runs can change it.
    public func write(
        databaseAt path: String, busyTimeout: Duration = .seconds(5), to sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Summary {
        try write(from: Self.openSource(path, busyTimeout: busyTimeout), to: sink)
    }

    static func openSource(_ path: String, busyTimeout: Duration) throws -> Connection {
        // Read-write without create: a read-only connection cannot read a WAL database whose
        // -shm it may not create.
        let connection = try Connection(path: path, options: [.readWrite, .noFollow])
        let (seconds, attoseconds) = busyTimeout.components
        connection.setBusyTimeout(milliseconds: Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
        try connection.execute("PRAGMA query_only=1")
        return connection
    }

    /// Writes the dump of `connection`'s database to `sink`, in chunks.
    func write(from connection: Connection, to sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Summary {
        try withoutActuallyEscaping(sink) { sink in
            var out = Output(limit: bufferSize, sink: sink)
            return try write(from: connection, into: &out)
        }
    }

    private func write(from connection: Connection, into out: inout Output) throws -> Summary {
        var summary = Summary()
        try connection.execute("BEGIN")
        defer { try? connection.execute("ROLLBACK") }
        // The first read starts the transaction's snapshot; everything below reads that one.
        let schema = try DumpSchema(connection)
        let userVersion = try connection.integer("PRAGMA user_version")
        let applicationID = try connection.integer("PRAGMA application_id")
        let walMode = try connection.journalMode() == "wal"
        summary.walMode = walMode
        summary.pageSize = Int(try connection.integer("PRAGMA page_size"))
        summary.pageCount = Int(try connection.integer("PRAGMA page_count"))
        summary.sqliteVersion = try connection.column("SELECT sqlite_version()").first ?? ""

        try out.line(Self.header)
        try out.line("PRAGMA foreign_keys=OFF;")
        try out.line("BEGIN TRANSACTION;")
        for table in schema.tables {
            try out.line(table.sql + ";")
            summary.tables += 1
            switch table.kind {
            case .ordinary, .virtual: summary.rows += try rows(of: table, connection, into: &out)
            case .externalContent: continue
            case .contentless:
                summary.warnings.append(
                    "\(table.name): a contentless FTS5 table (content='') keeps no rows to dump; it is created empty")
            }
        }
        if schema.hasSequence {
            try out.line("DELETE FROM sqlite_sequence;")
            summary.rows += try rows(
                "sqlite_sequence", select: "SELECT name, seq FROM sqlite_sequence ORDER BY name",
                columns: "(name,seq)", connection, into: &out)
        }
        if schema.hasStatistics {
            // What `sqlite3 .dump` does too: ANALYZE of the schema table creates sqlite_stat1.
            try out.line("ANALYZE sqlite_schema;")
            summary.rows += try rows(
                "sqlite_stat1", select: "SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx",
                columns: "(tbl,idx,stat)", connection, into: &out)
        }
        for sql in schema.others { try out.line(sql + ";") }
        for table in schema.tables where table.kind == .externalContent {
            let name = SQLLiteral.identifier(table.name)
            try out.line("INSERT INTO \(name)(\(name)) VALUES('rebuild');")
        }
        try out.line("PRAGMA user_version=\(userVersion);")
        try out.line("PRAGMA application_id=\(applicationID);")
        try out.line("COMMIT;")
        // Outside the transaction: the journal mode cannot change inside one.
        if walMode { try out.line("PRAGMA journal_mode=WAL;") }
        try out.flush()
        try connection.execute("COMMIT")
        summary.bytes = out.written
        return summary
    }

    private func rows(of table: DumpSchema.Table, _ connection: Connection, into out: inout Output) throws -> Int64 {
        let selected = (table.rowid.map { [$0] } ?? []) + table.columns.map(SQLLiteral.identifier)
        let order =
            table.order.isEmpty ? "" : " ORDER BY " + table.order.map(SQLLiteral.identifier).joined(separator: ", ")
        let select = "SELECT \(selected.joined(separator: ", ")) FROM \(SQLLiteral.identifier(table.name))\(order)"
        // Every column in order needs no list (and the dump is smaller by a list a row).
        let columns = table.kind == .ordinary && table.insertsEveryColumn ? "" : "(\(selected.joined(separator: ",")))"
        return try rows(SQLLiteral.identifier(table.name), select: select, columns: columns, connection, into: &out)
    }

    private func rows(
        _ table: String, select: String, columns: String, _ connection: Connection, into out: inout Output
    ) throws -> Int64 {
        let statement = try connection.prepare(select)
        let prefix = Array("INSERT INTO \(table)\(columns) VALUES(".utf8)
        let count = statement.columnCount
        var rows: Int64 = 0
        while try statement.step() {
            out.bytes.append(contentsOf: prefix)
            for column in 0..<count {
                if column > 0 { out.bytes.append(UInt8(ascii: ",")) }
                statement.withValue(at: column) { SQLLiteral.append($0, to: &out.bytes) }
            }
            out.bytes.append(contentsOf: ");\n".utf8)
            try out.flushIfFull()
            rows += 1
        }
        return rows
    }

    /// Bytes on their way to the sink, handed on in chunks of about `limit`.
    struct Output {
        let limit: Int
        let sink: (UnsafeRawBufferPointer) throws -> Void
        var bytes: [UInt8] = []
        var written: Int64 = 0

        init(limit: Int, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
            self.limit = limit
            self.sink = sink
            bytes.reserveCapacity(limit + 4096)
        }

        mutating func line(_ text: String) throws {
            bytes.append(contentsOf: text.utf8)
            bytes.append(UInt8(ascii: "\n"))
            try flushIfFull()
        }

        mutating func flushIfFull() throws {
            if bytes.count >= limit { try flush() }
        }

        mutating func flush() throws {
            guard !bytes.isEmpty else { return }
            try bytes.withUnsafeBytes { try sink($0) }
            written += Int64(bytes.count)
            bytes.removeAll(keepingCapacity: true)
        }
    }
}
