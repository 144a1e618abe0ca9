extension String {
    /// The text with every character that could steer a terminal or reorder what it shows
    /// written as `\u{1B}`: C0 and C1 controls, DEL, and the bidirectional and zero-width
    /// formatting characters. For text from files others may have written (manifests, state)
    /// before it reaches a terminal or a log.
    public var escapingControlCharacters: String {
        guard unicodeScalars.contains(where: Self.mustEscape) else { return self }
        var out = ""
        for scalar in unicodeScalars {
            if Self.mustEscape(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func mustEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        // LRM, RLM, ALM, the embeddings and overrides, the isolates; zero-width characters.
        case 0x200B...0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }
}
