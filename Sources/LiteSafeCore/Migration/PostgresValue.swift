import Foundation
import SQLite

/// SQLite values on their way into PostgreSQL columns: written in COPY's text format when they
/// go in unchanged, refused with the reason when they would not.
enum PostgresValue {
    /// The COPY text-format field for `value` in a column of `type`, or why it cannot go in
    /// as it is.
    static func field(_ value: Value, as type: PostgresType) -> Result<String, Refusal> {
        switch (value, type) {
        case (.null, _): return .success("\\N")
        case (.integer(let n), .bigint), (.integer(let n), .numeric): return .success(String(n))
        case (.integer(let n), .integer):
            return Int32(exactly: n) != nil ? .success(String(n)) : .failure(.init("\(n) is beyond integer (32-bit)"))
        case (.integer(let n), .doublePrecision):
            // Doubles hold integers exactly up to 2^53.
            return Double(exactly: n) != nil && n.magnitude <= 1 << 53
                ? .success(String(n)) : .failure(.init("\(n) cannot be a double precision exactly"))
        case (.integer(let n), .boolean):
            return n == 0 || n == 1 ? .success(n == 1 ? "t" : "f") : .failure(.init("\(n) is not 0 or 1"))
        case (.integer(let n), .text), (.integer(let n), .other): return .success(String(n))
        case (.real(let r), .doublePrecision):
            return .success(r.isInfinite ? (r < 0 ? "-Infinity" : "Infinity") : r.description)
        case (.real(let r), .numeric):
            return r.isFinite ? .success(r.description) : .failure(.init("\(r) has no numeric value (Infinity)"))
        case (.real(let r), .text), (.real(let r), .other):
            return r.isFinite ? .success(r.description) : .success(r < 0 ? "-Infinity" : "Infinity")
        case (.real(let r), .bigint), (.real(let r), .integer):
            return .failure(.init("the real \(r) is not an integer (or is beyond bigint)"))
        case (.real(let r), _): return .failure(.init("a real (\(r)) where \(type) is expected"))
        case (.text(let bytes), .text), (.text(let bytes), .other), (.text(let bytes), .uuid):
            guard let text = String(validating: bytes, as: UTF8.self) else {
                return .failure(.init("text that is not valid UTF-8, which PostgreSQL refuses"))
            }
            if bytes.contains(0) { return .failure(.init("text holding a NUL byte, which PostgreSQL text cannot")) }
            if case .uuid = type, !isUUID(text) { return .failure(.init("'\(preview(text))' is not a UUID")) }
            return .success(escape(text))
        case (.text(let bytes), _):
            let text = String(decoding: bytes, as: UTF8.self)
            return .failure(.init("text '\(preview(text))' where \(type) is expected"))
        case (.blob(let bytes), .bytea):
            return .success("\\\\x" + hex(bytes))
        case (.blob(let bytes), _): return .failure(.init("a \(bytes.count)-byte BLOB where \(type) is expected"))
        case (.integer(let n), _): return .failure(.init("the integer \(n) where \(type) is expected"))
        }
    }

    /// Bytes as lower-case hex (`String(format:)` per byte costs seconds on large BLOBs).
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Why a value cannot go into its column unchanged.
    struct Refusal: Error, Equatable {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// COPY's text format: backslash, and the characters that end fields and rows, escaped.
    static func escape(_ text: String) -> String {
        guard text.contains(where: { $0 == "\\" || $0 == "\n" || $0 == "\r" || $0 == "\t" }) else { return text }
        var out = ""
        for c in text {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.append(c)
            }
        }
        return out
    }

    static func isUUID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.map(\.count) == [8, 4, 4, 4, 12] && parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    static func preview(_ text: String) -> String {
        let short = text.count > 40 ? String(text.prefix(40)) + "…" : text
        return short.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : String($0) }.joined()
    }

    /// The text both sides of a verification agree on for a value of `type`: the bits of a
    /// double, a decimal without its insignificant zeros, a lower-case UUID, bytes in hex.
    static func canonical(sqlite value: Value, as type: PostgresType) -> String? {
        switch (value, type) {
        case (.null, _): return nil
        case (.integer(let n), .doublePrecision): return String(Double(n).bitPattern, radix: 16)
        case (.real(let r), .doublePrecision): return String(r.bitPattern, radix: 16)
        case (.integer(let n), .numeric): return Decimal.canonical(String(n))
        case (.real(let r), .numeric): return Decimal.canonical(r.description)
        case (.integer(let n), .boolean): return n == 1 ? "t" : "f"
        case (.blob(let bytes), .bytea): return hex(bytes)
        case (.text(let bytes), .uuid): return String(decoding: bytes, as: UTF8.self).lowercased()
        case (.text(let bytes), _): return String(decoding: bytes, as: UTF8.self)
        case (.integer(let n), _): return String(n)
        case (.real(let r), _): return r.isFinite ? r.description : (r < 0 ? "-Infinity" : "Infinity")
        case (.blob(let bytes), _): return hex(bytes)
        }
    }

    /// The same for the text PostgreSQL returns for a value of `type`.
    static func canonical(postgres text: String?, as type: PostgresType) -> String? {
        guard let text else { return nil }
        switch type {
        case .doublePrecision:
            return Double(text).map { String($0.bitPattern, radix: 16) } ?? "unparsable \(text)"
        case .numeric: return Decimal.canonical(text)
        case .bytea: return text.hasPrefix("\\x") ? String(text.dropFirst(2)) : text
        case .uuid: return text.lowercased()
        // boolean::text is "true"/"false"; its own output, "t"/"f".
        case .boolean: return text == "true" || text == "t" ? "t" : "f"
        default: return text
        }
    }

    /// Decimal text in one form: sign, significant digits, exponent ("1e+300", "1000.0" and
    /// "1E3" all read as the numbers they are).
    enum Decimal {
        static func canonical(_ text: String) -> String {
            var body = Substring(text)
            var negative = false
            if body.first == "-" || body.first == "+" {
                negative = body.first == "-"
                body = body.dropFirst()
            }
            var exponent = 0
            if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
                exponent = Int(body[body.index(after: e)...]) ?? 0
                body = body[..<e]
            }
            let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            let integerDigits = String(parts[0])
            let fractionDigits = parts.count > 1 ? String(parts[1]) : ""
            var digits = integerDigits + fractionDigits
            exponent += integerDigits.count
            while digits.first == "0" {
                digits.removeFirst()
                exponent -= 1
            }
            while digits.last == "0" { digits.removeLast() }
            if digits.isEmpty { return "0" }
            return (negative ? "-" : "") + "0." + digits + "e" + String(exponent)
        }
    }
}
