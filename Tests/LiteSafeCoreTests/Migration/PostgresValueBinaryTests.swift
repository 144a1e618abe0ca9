import Foundation
import SQLite
import Testing

@testable import LiteSafeCore

/// The binary COPY format refuses what the text format refuses, and writes numerics that read
/// back as the decimals they were.
@Suite("PostgreSQL binary values")
struct PostgresValueBinaryTests {
    static let values: [Value] = [
        .null, .integer(0), .integer(1), .integer(2), .integer(-1), .integer(Int64(Int32.max) + 1),
        .integer(Int64.min), .integer(Int64.max), .integer(1 << 53), .integer(1 << 53 + 1),
        .real(0.1), .real(-0.0), .real(1e-300), .real(3.141592653589793), .real(1e30), .real(.infinity),
        .real(-.infinity), .text(Array("plain".utf8)), .text(Array("5F1C0D4E-1111-2222-3333-444455556666".utf8)),
        .text([0xFF]), .text([0x61, 0x00, 0x62]), .text(Array("tab\tnew\nline\\".utf8)), .blob([]),
        .blob([0, 1, 255]),
    ]
    static let types: [PostgresType] = [.bigint, .integer, .doublePrecision, .numeric, .boolean, .text, .bytea, .uuid]

    @Test("every value is refused in binary exactly when, and with the reason, it is refused in text", arguments: types)
    func sameRefusals(type: PostgresType) {
        for value in Self.values {
            var out: [UInt8] = []
            let binary = PostgresValue.appendBinary(value, as: type, to: &out)
            let text: PostgresValue.Refusal? =
                switch PostgresValue.field(value, as: type) {
                case .success: nil
                case .failure(let refusal): refusal
                }
            #expect(binary == text, "\(value) as \(type)")
            #expect(binary == nil ? !out.isEmpty : out.isEmpty, "\(value) as \(type)")
        }
    }

    @Test(
        "a numeric field reads back as the decimal it was written from",
        arguments: [
            "0", "-0.0", "1", "-1", "10.25", "1e-300", "1e+300", "9223372036854775807", "-9223372036854775808",
            "0.1", "100.0", "12345.6789", "0.00012", "5e-324", "1.7976931348623157e+308", "123456789.123456789",
        ])
    func numericRoundTrip(text: String) {
        var out: [UInt8] = []
        PostgresValue.appendNumeric(text, to: &out)
        let length = Int(out[0]) << 24 | Int(out[1]) << 16 | Int(out[2]) << 8 | Int(out[3])
        #expect(length == out.count - 4)
        let back = out.dropFirst(4).withUnsafeBytes { PostgresValue.decimalText(numeric: $0) }
        #expect(PostgresValue.Decimal.canonical(back) == PostgresValue.Decimal.canonical(text), "\(text) → \(back)")
    }

    @Test("doubles of every magnitude survive the numeric encoding")
    func numericRandomDoubles() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let r = Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF) * (Bool.random() ? 1 : -1)
            var out: [UInt8] = []
            PostgresValue.appendNumeric(r.description, to: &out)
            let back = out.dropFirst(4).withUnsafeBytes { PostgresValue.decimalText(numeric: $0) }
            #expect(PostgresValue.Decimal.canonical(back) == PostgresValue.Decimal.canonical(r.description))
        }
    }

    /// A stream of three rows (one with a NULL and an empty field, one with a 70,000-byte field).
    static func stream() -> (bytes: [UInt8], rows: [[UInt8]]) {
        var bytes = PostgresValue.binaryHeader
        var rows: [[UInt8]] = []
        for fields in [
            [Value.integer(7), .text(Array("é".utf8))], [.null, .text([])],
            [.blob(Array(repeating: 9, count: 70_000)), .integer(-1)],
        ] {
            bytes.appendBigEndian(Int16(2))
            var body: [UInt8] = []
            _ = PostgresValue.appendBinary(fields[0], as: fields[0] == .integer(7) ? .bigint : .bytea, to: &body)
            _ = PostgresValue.appendBinary(fields[1], as: fields[1] == .integer(-1) ? .bigint : .text, to: &body)
            bytes += body
            rows.append(body)
        }
        return (bytes + PostgresValue.binaryTrailer, rows)
    }

    @Test("a binary COPY stream gives its rows whole wherever the messages cut it")
    func rowsAcrossMessages() throws {
        let (bytes, expected) = Self.stream()
        for cut in [1, 2, 3, 7, 19, 20, 21, 25, 1000, 65_536, bytes.count] {
            var stream = PostgresBinaryRows()
            var rows: [[UInt8]] = []
            for start in stride(from: 0, to: bytes.count, by: cut) {
                try bytes[start..<min(start + cut, bytes.count)].withUnsafeBytes { chunk in
                    try stream.feed(chunk) { fields, body in
                        #expect(fields == 2)
                        rows.append(Array(body))
                    }
                }
            }
            #expect(rows == expected, "cut every \(cut) bytes")
            #expect(stream.complete, "cut every \(cut) bytes")
        }
    }

    @Test("a stream that stops before its trailer is not complete; one without the signature is refused")
    func truncatedStreams() throws {
        let (bytes, _) = Self.stream()
        var stream = PostgresBinaryRows()
        var count = 0
        try bytes.dropLast(3).withUnsafeBytes { try stream.feed($0) { _, _ in count += 1 } }
        #expect(count == 2)
        #expect(!stream.complete)
        var text = PostgresBinaryRows()
        #expect(throws: PostgresBinaryRows.Malformed()) {
            try Array("1\tabc\n2\tdef\n3\tghi\n4\tjkl\n".utf8).withUnsafeBytes { try text.feed($0) { _, _ in } }
        }
    }
}
