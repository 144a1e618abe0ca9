import SQLite

/// SQLite values in PostgreSQL's binary COPY format
/// (https://www.postgresql.org/docs/15/sql-copy.html, "Binary Format"): each field a 32-bit
/// big-endian length (-1 for NULL) and the type's binary form, as its `typreceive` function
/// reads it. No text is escaped by us or parsed by the server.
extension PostgresValue {
    /// The stream's signature, flags (none) and header extension length (none).
    static let binaryHeader: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0, 0, 0, 0, 0]
    /// A field count of -1 ends the stream.
    static let binaryTrailer: [UInt8] = [0xFF, 0xFF]

    /// Whether a column of `type` can go in binary: every type LiteSafe checks itself. A type
    /// given with `--type` (date, timestamptz, …) is parsed by PostgreSQL from text.
    static func hasBinaryForm(_ type: PostgresType) -> Bool {
        if case .other = type { false } else { true }
    }

    /// Appends `value`'s binary field for a column of `type` (one with a binary form) to `out`,
    /// or says why it cannot go in unchanged (appending nothing). The refusals are exactly those
    /// of ``field(_:as:)``.
    static func appendBinary(_ value: Value, as type: PostgresType, to out: inout [UInt8]) -> Refusal? {
        assert(hasBinaryForm(type), "\(type) is sent as text")
        switch (value, type) {
        case (.null, _): out.appendBigEndian(Int32(-1))
        case (.integer(let n), .bigint):
            out.appendBigEndian(Int32(8))
            out.appendBigEndian(n)
        case (.integer(let n), .numeric): appendNumeric(String(n), to: &out)
        case (.integer(let n), .integer):
            guard let small = Int32(exactly: n) else { return Refusal("\(n) is beyond integer (32-bit)") }
            out.appendBigEndian(Int32(4))
            out.appendBigEndian(small)
        case (.integer(let n), .doublePrecision):
            // Doubles hold integers exactly up to 2^53.
            guard Double(exactly: n) != nil && n.magnitude <= 1 << 53 else {
                return Refusal("\(n) cannot be a double precision exactly")
            }
            out.appendBigEndian(Int32(8))
            out.appendBigEndian(Double(n).bitPattern)
        case (.integer(let n), .boolean):
            guard n == 0 || n == 1 else { return Refusal("\(n) is not 0 or 1") }
            out.appendBigEndian(Int32(1))
            out.append(UInt8(n))
        case (.integer(let n), .text): appendBytes(Array(String(n).utf8), to: &out)
        case (.real(let r), .doublePrecision):
            out.appendBigEndian(Int32(8))
            out.appendBigEndian(r.bitPattern)
        case (.real(let r), .numeric):
            guard r.isFinite else { return Refusal("\(r) has no numeric value (Infinity)") }
            appendNumeric(r.description, to: &out)
        case (.real(let r), .text):
            appendBytes(Array((r.isFinite ? r.description : r < 0 ? "-Infinity" : "Infinity").utf8), to: &out)
        case (.real(let r), .bigint), (.real(let r), .integer):
            return Refusal("the real \(r) is not an integer (or is beyond bigint)")
        case (.real(let r), _): return Refusal("a real (\(r)) where \(type) is expected")
        case (.text(let bytes), .text), (.text(let bytes), .uuid):
            guard let text = String(validating: bytes, as: UTF8.self) else {
                return Refusal("text that is not valid UTF-8, which PostgreSQL refuses")
            }
            if bytes.contains(0) { return Refusal("text holding a NUL byte, which PostgreSQL text cannot") }
            guard case .uuid = type else {
                appendBytes(bytes, to: &out)
                return nil
            }
            guard isUUID(text) else { return Refusal("'\(preview(text))' is not a UUID") }
            appendBytes(uuidBytes(text), to: &out)
        case (.text(let bytes), _):
            let text = String(decoding: bytes, as: UTF8.self)
            return Refusal("text '\(preview(text))' where \(type) is expected")
        case (.blob(let bytes), .bytea): appendBytes(bytes, to: &out)
        case (.blob(let bytes), _): return Refusal("a \(bytes.count)-byte BLOB where \(type) is expected")
        case (.integer(let n), _): return Refusal("the integer \(n) where \(type) is expected")
        }
        return nil
    }

    /// The 16 bytes of UUID text already checked by ``isUUID(_:)``.
    static func uuidBytes(_ text: String) -> [UInt8] {
        let digits = text.utf8.filter { $0 != UInt8(ascii: "-") }.map { hexValue($0) }
        return stride(from: 0, to: 32, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    private static func hexValue(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: c - UInt8(ascii: "A") + 10
        }
    }

    private static func appendBytes(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.appendBigEndian(Int32(bytes.count))
        out.append(contentsOf: bytes)
    }

    /// A decimal (`-12`, `10.25`, `1e-300`, `1.5e+300`: what `String(Int64)` and
    /// `Double.description` write) as a numeric field, with the digits and display scale
    /// numeric_in would give the same text, so the stored value reads back as it does after a
    /// text COPY. (numeric_recv truncates digits its scale hides, so the scale must be right;
    /// the verification would see a difference if it were not.)
    static func appendNumeric(_ text: String, to out: inout [UInt8]) {
        var negative = false
        var integer: [UInt8] = []
        var fraction: [UInt8] = []
        var exponent = 0
        var utf8 = Substring(text).utf8[...]
        if let sign = utf8.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        var inFraction = false
        while let c = utf8.first {
            utf8 = utf8.dropFirst()
            switch c {
            case UInt8(ascii: "."): inFraction = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                exponent = Int(String(decoding: utf8, as: UTF8.self)) ?? 0
                utf8 = utf8.dropFirst(utf8.count)
            default:
                if inFraction { fraction.append(c - UInt8(ascii: "0")) } else { integer.append(c - UInt8(ascii: "0")) }
            }
        }
        let scale = max(0, fraction.count - exponent)
        // The digits, and how many of them stand before the decimal point.
        var digits = integer + fraction
        var point = integer.count + exponent
        while digits.first == 0 {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == 0 { digits.removeLast() }
        var groups: [Int16] = []
        var weight = 0
        if !digits.isEmpty {
            // Digit i stands for 10^(point - 1 - i); base-10000 group g holds powers 4g…4g+3.
            func group(_ power: Int) -> Int { power >= 0 ? power / 4 : -((-power + 3) / 4) }
            weight = group(point - 1)
            let last = group(point - digits.count)
            groups = Array(repeating: 0, count: weight - last + 1)
            for (i, digit) in digits.enumerated() {
                let power = point - 1 - i
                let g = group(power)
                var place: Int16 = 1
                for _ in 0..<(power - 4 * g) { place *= 10 }
                groups[weight - g] += Int16(digit) * place
            }
        }
        out.appendBigEndian(Int32(8 + 2 * groups.count))
        out.appendBigEndian(Int16(groups.count))
        out.appendBigEndian(Int16(digits.isEmpty ? 0 : weight))
        out.appendBigEndian(UInt16(negative && !digits.isEmpty ? 0x4000 : 0))
        out.appendBigEndian(UInt16(scale))
        for g in groups { out.appendBigEndian(g) }
    }

    /// A numeric field's value as decimal text (`0.<digits>e<exponent>`, which
    /// ``Decimal/canonical(_:)`` reads), or a description of what is not a number.
    static func decimalText(numeric field: UnsafeRawBufferPointer) -> String {
        guard field.count >= 8 else { return "malformed numeric" }
        func int16(_ at: Int) -> Int { Int(Int16(bitPattern: UInt16(field[at]) << 8 | UInt16(field[at + 1]))) }
        let count = int16(0)
        let weight = int16(2)
        let sign = UInt16(field[4]) << 8 | UInt16(field[5])
        guard field.count == 8 + 2 * count else { return "malformed numeric" }
        switch sign {
        case 0x0000, 0x4000: break
        case 0xC000: return "NaN"
        case 0xD000: return "Infinity"
        case 0xF000: return "-Infinity"
        default: return "malformed numeric"
        }
        var digits = ""
        for i in 0..<count {
            let group = String(int16(8 + 2 * i))
            digits += String(repeating: "0", count: 4 - group.count) + group
        }
        return (sign == 0x4000 ? "-" : "") + "0." + (digits.isEmpty ? "0" : digits) + "e" + String((weight + 1) * 4)
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
