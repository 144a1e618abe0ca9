/// An element of the XML documents S3 answers with, parsed by `S3XML.parse`.
///
/// S3's documents are small and plain (no namespaces prefixes, no DTD, no CDATA in practice): this
/// reads elements, text and the five named entities plus numeric ones, which is all they use,
/// without pulling libxml2 into the binary.
public struct S3XMLElement: Sendable, Equatable {
    public var name: String
    public var text: String
    public var children: [S3XMLElement]

    /// The children named `name`.
    public func all(_ name: String) -> [S3XMLElement] { children.filter { $0.name == name } }

    /// The first child named `name`.
    public func first(_ name: String) -> S3XMLElement? { children.first { $0.name == name } }

    /// The text of the first child named `name`.
    public subscript(_ name: String) -> String? { first(name)?.text }
}

public enum S3XML {
    public struct Malformed: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The document's root element.
    public static func parse(_ bytes: [UInt8]) throws(Malformed) -> S3XMLElement {
        var parser = Parser(bytes: bytes)
        return try parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func document() throws(Malformed) -> S3XMLElement {
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else {
                    throw Malformed(description: "no root element")
                }
                if starts(with: "<?") {
                    try skip(past: "?>")
                } else if starts(with: "<!") {
                    try skip(past: ">")
                } else {
                    return try element()
                }
            }
        }

        /// An element starting at `<`.
        mutating func element() throws(Malformed) -> S3XMLElement {
            index += 1
            let nameStart = index
            while index < bytes.count, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: ">"),
                bytes[index] != UInt8(ascii: "/")
            {
                index += 1
            }
            let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
            // Attributes are skipped (quoted values may hold `>`).
            var quote: UInt8? = nil
            while index < bytes.count {
                let byte = bytes[index]
                if let open = quote {
                    if byte == open { quote = nil }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: ">") {
                    break
                }
                index += 1
            }
            guard index < bytes.count else { throw Malformed(description: "<\(name) is not closed") }
            var result = S3XMLElement(name: name, text: "", children: [])
            if bytes[index - 1] == UInt8(ascii: "/") {
                index += 1
                return result
            }
            index += 1
            var text: [UInt8] = []
            while true {
                guard index < bytes.count else { throw Malformed(description: "<\(name)> has no end tag") }
                if bytes[index] != UInt8(ascii: "<") {
                    text.append(bytes[index])
                    index += 1
                } else if starts(with: "</") {
                    try skip(past: ">")
                    result.text = try Self.decodeEntities(text)
                    return result
                } else if starts(with: "<!--") {
                    try skip(past: "-->")
                } else if starts(with: "<![CDATA[") {
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    // Literal text: its `&` escaped, as the entity pass below expects.
                    for byte in bytes[start..<(index - 3)] {
                        if byte == UInt8(ascii: "&") { text += Array("&amp;".utf8) } else { text.append(byte) }
                    }
                } else {
                    result.children.append(try element())
                }
            }
        }

        func starts(with text: String) -> Bool {
            let marker = Array(text.utf8)
            return index + marker.count <= bytes.count && Array(bytes[index..<(index + marker.count)]) == marker
        }

        mutating func skip(past text: String) throws(Malformed) {
            while index < bytes.count, !starts(with: text) { index += 1 }
            guard index < bytes.count else { throw Malformed(description: "no \(text) before the end") }
            index += text.utf8.count
        }

        mutating func skipWhitespace() { while index < bytes.count, isSpace(bytes[index]) { index += 1 } }

        func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d
        }

        static func decodeEntities(_ text: [UInt8]) throws(Malformed) -> String {
            guard text.contains(UInt8(ascii: "&")) else { return String(decoding: text, as: UTF8.self) }
            var out: [UInt8] = []
            var index = 0
            while index < text.count {
                guard text[index] == UInt8(ascii: "&") else {
                    out.append(text[index])
                    index += 1
                    continue
                }
                guard let semicolon = text[index...].firstIndex(of: UInt8(ascii: ";")) else {
                    throw Malformed(description: "an & without ;")
                }
                let entity = String(decoding: text[(index + 1)..<semicolon], as: UTF8.self)
                switch entity {
                case "amp": out.append(UInt8(ascii: "&"))
                case "lt": out.append(UInt8(ascii: "<"))
                case "gt": out.append(UInt8(ascii: ">"))
                case "quot": out.append(UInt8(ascii: "\""))
                case "apos": out.append(UInt8(ascii: "'"))
                default:
                    let number =
                        entity.hasPrefix("#x")
                        ? UInt32(entity.dropFirst(2), radix: 16)
                        : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                    guard let number, let scalar = Unicode.Scalar(number) else {
                        throw Malformed(description: "an unknown entity &\(entity);")
                    }
                    out += Array(String(Character(scalar)).utf8)
                }
                index = semicolon + 1
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// `text` escaped for an XML element's content.
    public static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
