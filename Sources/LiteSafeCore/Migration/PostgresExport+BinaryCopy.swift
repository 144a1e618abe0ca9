import Crypto
import Postgres
import SQLite

/// The load and the verification of a table whose columns all have a binary form: COPY in
/// PostgreSQL's binary format both ways, so neither side writes or parses text (bytea's hex
/// was most of the work), and each row's digest is taken over the fields themselves.
///
/// What the digests compare: the fields SQLite's values became, and the fields PostgreSQL sends
/// back from what it stored, byte for byte (the binary forms of bigint, integer, double
/// precision, boolean, text and bytea are exact); numeric as its decimal value (PostgreSQL may
/// store it with other digit groups and scale) and uuid as its lower-case text.
extension PostgresExport {
    /// Rows sent per `PQputCopyData` call, at most (a few rows more than this, in bytes).
    static let copyChunk = 1 << 20

    /// Loads `table` with a binary COPY; coercions are collected as the text load does.
    func loadBinary(
        _ table: PostgresExportPlan.Table, schema: String, _ source: Connection, _ pg: PostgresConnection,
        problems: inout [Coercion], total: inout Int
    ) throws -> (rows: Int64, digest: RowDigest) {
        let columns = table.stored
        let names = columns.map { ident($0.name) }.joined(separator: ", ")
        let statement = try source.prepare(select(table))
        let keys = keyCount(table)
        let special = columns.map { Self.canonicalForm($0.type) }
        let plain = special.allSatisfy { $0 == nil }
        var digest = RowDigest()
        var rows: Int64 = 0
        try pg.copyIn("COPY \(qualified(schema, table.name)) (\(names)) FROM STDIN (FORMAT binary)") { send in
            var buffer = PostgresValue.binaryHeader
            buffer.reserveCapacity(Self.copyChunk + (64 << 10))
            var canonical: [UInt8] = []
            var starts = [Int](repeating: 0, count: columns.count + 1)
            while try statement.step() {
                let rowStart = buffer.count
                buffer.appendBigEndian(Int16(columns.count))
                for (i, column) in columns.enumerated() {
                    starts[i] = buffer.count
                    let value = statement.value(at: Int32(keys + i))
                    guard let refusal = PostgresValue.appendBinary(value, as: column.type, to: &buffer) else {
                        continue
                    }
                    total += 1
                    if problems.count < reportLimit {
                        let key = (0..<keys).map { describe(statement.value(at: Int32($0))) }.joined(separator: ", ")
                        problems.append(Coercion(table: table.name, column: column.name, row: key, why: refusal.reason))
                    }
                    buffer.appendBigEndian(Int32(-1))
                }
                starts[columns.count] = buffer.count
                rows += 1
                // Once a value is refused nothing more is sent; the scan goes on to count the rest.
                if total > 0 {
                    buffer.removeSubrange(rowStart...)
                    continue
                }
                if plain {
                    buffer.withUnsafeBytes { digest.add(row: UnsafeRawBufferPointer(rebasing: $0[(rowStart + 2)...])) }
                } else {
                    canonical.removeAll(keepingCapacity: true)
                    for i in columns.indices {
                        if let form = special[i] {
                            Self.appendCanonical(sqlite: statement.value(at: Int32(keys + i)), form, to: &canonical)
                        } else {
                            canonical.append(contentsOf: buffer[starts[i]..<starts[i + 1]])
                        }
                    }
                    canonical.withUnsafeBytes { digest.add(row: $0) }
                }
                if buffer.count >= Self.copyChunk {
                    try send(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            // Ended whole even after a refusal: the transaction is rolled back anyway.
            buffer += PostgresValue.binaryTrailer
            try send(buffer)
        }
        return (rows, digest)
    }

    /// Row count and digest of what PostgreSQL holds for `table`, read with a binary COPY.
    func binaryDigest(
        _ table: PostgresExportPlan.Table, schema: String, _ pg: PostgresConnection
    ) throws -> (rows: Int64, digest: RowDigest) {
        let columns = table.stored
        let special = columns.map { Self.canonicalForm($0.type) }
        let plain = special.allSatisfy { $0 == nil }
        let names = columns.map { ident($0.name) }.joined(separator: ", ")
        var digest = RowDigest()
        var rows: Int64 = 0
        var canonical: [UInt8] = []
        var stream = PostgresBinaryRows()
        func add(fields: Int, body: UnsafeRawBufferPointer) {
            rows += 1
            guard !plain && fields == columns.count else {
                // A field count other than the columns' is digested as it is: it cannot match.
                digest.add(row: body)
                return
            }
            canonical.removeAll(keepingCapacity: true)
            var field = 0
            for i in 0..<fields {
                let length = Int(PostgresBinaryRows.int32(body, at: field))
                let next = field + 4 + max(length, 0)
                if let form = special[i], length >= 0 {
                    Self.appendCanonical(
                        postgres: UnsafeRawBufferPointer(rebasing: body[(field + 4)..<next]), form, to: &canonical)
                } else {
                    canonical.append(contentsOf: body[field..<next])
                }
                field = next
            }
            canonical.withUnsafeBytes { digest.add(row: $0) }
        }
        do {
            try pg.copyOut("COPY \(qualified(schema, table.name)) (\(names)) TO STDOUT (FORMAT binary)") { message in
                try stream.feed(message, row: add)
            }
        } catch is PostgresBinaryRows.Malformed {
            throw ExportProblem.verificationFailed(["\(table.name): PostgreSQL sent no binary COPY stream"])
        }
        guard stream.complete else {
            throw ExportProblem.verificationFailed(["\(table.name): PostgreSQL's binary COPY ended early"])
        }
        return (rows, digest)
    }

    /// The columns whose digest is not their binary field.
    enum CanonicalForm: Equatable {
        /// The decimal value, whatever digit groups and scale PostgreSQL keeps.
        case numeric
        /// Lower-case text, as SQLite holds it and PostgreSQL writes it.
        case uuid
    }

    static func canonicalForm(_ type: PostgresType) -> CanonicalForm? {
        switch type {
        case .numeric: .numeric
        case .uuid: .uuid
        default: nil
        }
    }

    /// The canonical field of a SQLite value that went in (as COPY frames one: length, bytes).
    static func appendCanonical(sqlite value: Value, _ form: CanonicalForm, to out: inout [UInt8]) {
        let text: String
        switch (value, form) {
        case (.null, _):
            out.appendBigEndian(Int32(-1))
            return
        case (.integer(let n), .numeric): text = PostgresValue.Decimal.canonical(String(n))
        case (.real(let r), .numeric): text = PostgresValue.Decimal.canonical(r.description)
        case (.text(let bytes), .uuid): text = String(decoding: bytes, as: UTF8.self).lowercased()
        default: text = "\(value)"  // refused on the way in: never compared
        }
        out.appendBigEndian(Int32(text.utf8.count))
        out.append(contentsOf: text.utf8)
    }

    /// The canonical field of a value PostgreSQL sent back.
    static func appendCanonical(postgres field: UnsafeRawBufferPointer, _ form: CanonicalForm, to out: inout [UInt8]) {
        let text: String
        switch form {
        case .numeric: text = PostgresValue.Decimal.canonical(PostgresValue.decimalText(numeric: field))
        case .uuid:
            let hex = PostgresValue.hex(Array(field))
            text =
                field.count != 16
                ? "malformed uuid \(hex)"
                : [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
                    let s = hex.utf8
                    return String(decoding: s.dropFirst(range.lowerBound).prefix(range.count), as: UTF8.self)
                }.joined(separator: "-")
        }
        out.appendBigEndian(Int32(text.utf8.count))
        out.append(contentsOf: text.utf8)
    }
}
