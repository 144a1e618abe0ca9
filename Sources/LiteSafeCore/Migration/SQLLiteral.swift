import Foundation
import SQLite

/// SQL text for values and names, as a dump writes them: every value read back by SQLite's
/// parser as the same storage class and the same bytes.
enum SQLLiteral {
    /// `value` as an SQL literal.
    ///
    /// Reals use the shortest text that reads back as the same double (Swift's `description`),
    /// so nothing is lost to rounding; infinities are `1e999`, as `sqlite3 .dump` writes them.
    /// Text that is not valid UTF-8 or holds a NUL (both of which SQLite stores as given) is
    /// written as `CAST(X'…' AS TEXT)`, so the dump stays a text file that gives back the bytes.
    static func append(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "NULL".utf8)
        case .integer(let n): out.append(contentsOf: String(n).utf8)
        case .real(let r):
            if r.isNaN {
                out.append(contentsOf: "NULL".utf8)
            } else if r.isInfinite {
                out.append(contentsOf: (r < 0 ? "-1e999" : "1e999").utf8)
            } else {
                out.append(contentsOf: r.description.utf8)
            }
        case .text(let bytes):
            if bytes.contains(0) || String(validating: bytes, as: UTF8.self) == nil {
                out.append(contentsOf: "CAST(".utf8)
                appendHex(bytes, to: &out)
                out.append(contentsOf: " AS TEXT)".utf8)
            } else {
                out.append(UInt8(ascii: "'"))
                for byte in bytes {
                    if byte == UInt8(ascii: "'") { out.append(byte) }
                    out.append(byte)
                }
                out.append(UInt8(ascii: "'"))
            }
        case .blob(let bytes): appendHex(bytes, to: &out)
        }
    }

    /// `value` as an SQL literal, as `append(_:to:)` writes it, from bytes SQLite lends.
    static func append(_ value: ValueView, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "NULL".utf8)
        case .integer(let n): appendDecimal(n, to: &out)
        case .real(let r): append(Value.real(r), to: &out)
        case .blob(let bytes): appendHex(bytes, to: &out)
        case .text(let bytes):
            if isPlainText(bytes) {
                out.append(UInt8(ascii: "'"))
                var start = 0
                // Copies runs between quotes whole (found by memchr); each quote is doubled.
                if let base = bytes.baseAddress {
                    while start < bytes.count, let quote = memchr(base + start, 0x27, bytes.count - start) {
                        let index = base.distance(to: UnsafeRawPointer(quote))
                        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...index]))
                        out.append(UInt8(ascii: "'"))
                        start = index + 1
                    }
                }
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...]))
                out.append(UInt8(ascii: "'"))
            } else {
                out.append(contentsOf: "CAST(".utf8)
                appendHex(bytes, to: &out)
                out.append(contentsOf: " AS TEXT)".utf8)
            }
        }
    }

    /// `n` in decimal, written straight into `out` (no String on the way).
    static func appendDecimal(_ n: Int64, to out: inout [UInt8]) {
        if n < 0 { out.append(UInt8(ascii: "-")) }
        var value = n.magnitude
        var count = 1
        var rest = value / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        let end = out.count + count
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        var index = end
        repeat {
            index -= 1
            out[index] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        } while value > 0
    }

    /// Whether text bytes can be written between quotes as they are: valid UTF-8, no NUL.
    static func isPlainText(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        if memchr(base, 0, bytes.count) != nil { return false }
        // Any byte with its high bit set, eight bytes at a time: ASCII needs no UTF-8 check.
        var high: UInt64 = 0
        var index = 0
        while index + 8 <= bytes.count {
            high |= bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            high |= UInt64(bytes[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
            || String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) != nil
    }

    /// `X'…'`, lower-case hex, from borrowed bytes.
    ///
    /// Two digits a byte from a table, through a buffer on the stack appended a few KiB at a
    /// time: dumps of BLOB-heavy tables spend most of their own time here.
    static func appendHex(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(contentsOf: "X'".utf8)
        out.reserveCapacity(out.count + bytes.count * 2 + 1)
        let chunk = 4096
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: chunk) { buffer in
            hexPairs.withUnsafeBufferPointer { pairs in
                var start = 0
                while start < bytes.count {
                    let end = min(start + chunk, bytes.count)
                    for index in start..<end { buffer[index - start] = pairs[Int(bytes[index])] }
                    out.append(contentsOf: UnsafeRawBufferPointer(start: buffer.baseAddress, count: (end - start) * 2))
                    start = end
                }
            }
        }
        out.append(UInt8(ascii: "'"))
    }

    /// Each byte's two lower-case hex digits, as they lie in memory (first digit first).
    private static let hexPairs: [UInt16] = (0..<256).map { byte in
        let digits = Array("0123456789abcdef".utf8)
        let pair = [digits[byte >> 4], digits[byte & 0x0F]]
        return pair.withUnsafeBytes { $0.load(as: UInt16.self) }
    }

    /// `X'…'`, lower-case hex.
    static func appendHex(_ bytes: [UInt8], to out: inout [UInt8]) {
        bytes.withUnsafeBytes { appendHex($0, to: &out) }
    }

    /// A name as a double-quoted SQL identifier.
    static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A string as a single-quoted SQL string literal.
    static func string(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
