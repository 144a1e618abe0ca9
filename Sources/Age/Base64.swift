/// Strict standard base64 (RFC 4648 §4): unpadded for the age header, padded for the armor.
///
/// Foundation's decoder tolerates non-canonical trailing bits and padding, which the age
/// spec requires decoders to reject (spec "Conventions"), so this is written out by hand.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Maps an ASCII byte to its 6-bit value, or 0xFF.
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// Whether `byte` is one of the 64 base64 characters (no padding).
    static func isAlphabet(_ byte: UInt8) -> Bool { reverse[Int(byte)] != 0xFF }

    /// Encodes `bytes`, with `=` padding only when `padded`.
    static func encode(_ bytes: some Collection<UInt8>, padded: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next() {
            let b1 = iterator.next()
            let b2 = b1 == nil ? nil : iterator.next()
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)])
            if let b1 {
                out.append(alphabet[Int((b1 & 0x0F) << 2 | (b2 ?? 0) >> 6)])
            } else if padded {
                out.append(UInt8(ascii: "="))
            }
            if let b2 {
                out.append(alphabet[Int(b2 & 0x3F)])
            } else if padded {
                out.append(UInt8(ascii: "="))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes canonical unpadded base64, or returns nil for any other input.
    static func decodeUnpadded(_ text: some Collection<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        guard decode(text, padded: false, into: &out) else { return nil }
        return out
    }

    /// Decodes canonical unpadded base64 from a string, or returns nil.
    static func decodeUnpadded(_ text: String) -> [UInt8]? { decodeUnpadded(Array(text.utf8)) }

    /// Appends the decoding of canonical base64 to `out`; padded input must be a multiple of
    /// four characters with `=` only at the end. Returns false (and leaves `out` unspecified)
    /// for anything else, including non-zero trailing bits (RFC 4648 §3.5).
    static func decode(_ text: some Collection<UInt8>, padded: Bool, into out: inout [UInt8]) -> Bool {
        var chars = Array(text)
        if padded {
            guard chars.count % 4 == 0 else { return false }
            var padding = 0
            while padding < 2, chars.last == UInt8(ascii: "=") {
                chars.removeLast()
                padding += 1
            }
        }
        let remainder = chars.count % 4
        guard remainder != 1 else { return false }
        out.reserveCapacity(out.count + chars.count * 3 / 4)
        var index = 0
        while index + 4 <= chars.count {
            let a = reverse[Int(chars[index])]
            let b = reverse[Int(chars[index + 1])]
            let c = reverse[Int(chars[index + 2])]
            let d = reverse[Int(chars[index + 3])]
            guard a < 64, b < 64, c < 64, d < 64 else { return false }
            out.append(a << 2 | b >> 4)
            out.append(b << 4 | c >> 2)
            out.append(c << 6 | d)
            index += 4
        }
        switch remainder {
        case 2:
            let a = reverse[Int(chars[index])]
            let b = reverse[Int(chars[index + 1])]
            guard a < 64, b < 64, b & 0x0F == 0 else { return false }
            out.append(a << 2 | b >> 4)
        case 3:
            let a = reverse[Int(chars[index])]
            let b = reverse[Int(chars[index + 1])]
            let c = reverse[Int(chars[index + 2])]
            guard a < 64, b < 64, c < 64, c & 0x03 == 0 else { return false }
            out.append(a << 2 | b >> 4)
            out.append(b << 4 | c >> 2)
        default:
            break
        }
        return true
    }
}
