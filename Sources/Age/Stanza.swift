/// One recipient stanza of an age header: `-> type args…` and a base64 body (spec "Recipient stanza").
public struct AgeStanza: Sendable, Equatable {
    /// The first argument, which names the recipient type (e.g. `X25519`, `scrypt`).
    public var type: String
    /// The arguments after the type.
    public var arguments: [String]
    /// The decoded body.
    public var body: [UInt8]

    public init(type: String, arguments: [String], body: [UInt8]) {
        self.type = type
        self.arguments = arguments
        self.body = body
    }

    /// The stanza as header text: argument line, then the body wrapped at 64 columns and
    /// always ending with a line shorter than 64 characters (possibly empty).
    var encoded: [UInt8] {
        var out = Array("-> ".utf8)
        out += Array(([type] + arguments).joined(separator: " ").utf8)
        out.append(0x0A)
        let text = Array(Base64.encode(body).utf8)
        var start = 0
        while true {
            let end = min(start + 64, text.count)
            out += text[start..<end]
            out.append(0x0A)
            if end - start < 64 { break }
            start = end
        }
        return out
    }

    /// Whether `argument` is a valid stanza argument: one or more VCHARs (0x21–0x7E).
    static func isValidArgument(_ argument: some Collection<UInt8>) -> Bool {
        !argument.isEmpty && argument.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}
