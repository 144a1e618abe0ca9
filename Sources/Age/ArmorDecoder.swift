/// Strict streaming decoder for age's ASCII armor: RFC 7468 strict PEM with the label
/// "AGE ENCRYPTED FILE", canonical padded base64 in 64-column lines, LF or CRLF line ends,
/// and whitespace allowed only before and after the block (spec "ASCII armor").
struct ArmorDecoder {
    static let beginLine = Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)
    static let endLine = Array("-----END AGE ENCRYPTED FILE-----".utf8)
    private static let columns = 64

    private enum State { case leading, header, body, trailing }
    private var state = State.leading
    /// The current, unterminated line.
    private var line: [UInt8] = []
    /// A body line shorter than 64 columns (or padded) was seen: only the END line may follow.
    private var sawLastBodyLine = false
    /// Decoded bytes waiting to be handed on in one batch.
    private var decoded: [UInt8] = []

    /// Whether `byte` is whitespace allowed around the armor block.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    /// Consumes armored text and passes the decoded bytes to `output`.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        for byte in bytes {
            switch state {
            case .leading:
                if Self.isWhitespace(byte) { continue }
                state = .header
                line.append(byte)
            case .trailing:
                guard Self.isWhitespace(byte) else { throw AgeError.armor("data follows the END line") }
            case .header, .body:
                if byte == 0x0A {
                    try endOfLine()
                } else {
                    // The longest valid line is 64 columns plus a CR.
                    guard line.count <= Self.columns else {
                        throw AgeError.armor(
                            state == .header
                                ? "the file does not start with the BEGIN AGE ENCRYPTED FILE line"
                                : "a line is longer than 64 columns")
                    }
                    line.append(byte)
                }
            }
        }
        if !decoded.isEmpty {
            try decoded.withUnsafeBytes { try output($0) }
            decoded.removeAll(keepingCapacity: true)
        }
    }

    /// Checks that the armor ended properly (the END line may lack its line feed).
    mutating func finish(output: (UnsafeRawBufferPointer) throws -> Void) throws {
        switch state {
        case .leading:
            throw AgeError.armor("the input is empty or only whitespace")
        case .header, .body:
            guard !line.isEmpty else { throw AgeError.armor("the END AGE ENCRYPTED FILE line is missing") }
            try endOfLine()
            guard state == .trailing else { throw AgeError.armor("the END AGE ENCRYPTED FILE line is missing") }
        case .trailing:
            break
        }
        if !decoded.isEmpty {
            try decoded.withUnsafeBytes { try output($0) }
            decoded.removeAll()
        }
    }

    private mutating func endOfLine() throws {
        defer { line.removeAll(keepingCapacity: true) }
        if line.last == 0x0D { line.removeLast() }
        switch state {
        case .header:
            guard line == Self.beginLine else {
                throw AgeError.armor("the file does not start with the BEGIN AGE ENCRYPTED FILE line")
            }
            state = .body
        case .body:
            if line == Self.endLine {
                state = .trailing
                return
            }
            guard !sawLastBodyLine else {
                throw AgeError.armor("a line follows the short last line instead of the END line")
            }
            guard !line.isEmpty else { throw AgeError.armor("empty line inside the armor") }
            guard line.count <= Self.columns else { throw AgeError.armor("a line is longer than 64 columns") }
            guard line.count % 4 == 0, Base64.decode(line, padded: true, into: &decoded) else {
                throw AgeError.armor("a line is not canonical padded base64")
            }
            if line.count < Self.columns || line.last == UInt8(ascii: "=") { sawLastBodyLine = true }
        case .leading, .trailing:
            break
        }
    }
}
