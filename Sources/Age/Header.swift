import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The textual age v1 header: version line, recipient stanzas, MAC (spec "Header").
struct AgeHeader {
    static let versionLine = Array("age-encryption.org/v1\n".utf8)
    static let versionPrefix = Array("age-encryption.org/".utf8)
    /// Headers larger than this are refused rather than buffered (a post-quantum stanza is
    /// about 1.6 KB, so this allows thousands of recipients).
    static let maximumSize = 4 << 20
    /// Headers with more recipient stanzas than this are refused before any is tried: each
    /// X25519 stanza costs an identity a key agreement, so 40,000 of them (well within
    /// `maximumSize`) would keep a restore busy for many seconds. Real files have a handful.
    static let maximumStanzas = 1_000

    /// The recipient stanzas, in header order.
    var stanzas: [AgeStanza]
    /// The 32-byte HMAC from the `---` line.
    var mac: [UInt8]
    /// The bytes the MAC covers: everything up to and including `---`.
    var authenticatedBytes: [UInt8]

    /// The HMAC key for a file key: HKDF(ikm = file key, salt = empty, info = "header").
    static func macKey(for fileKey: AgeFileKey) -> SymmetricKey {
        Primitives.hkdf(ikm: fileKey.bytes, salt: [UInt8](), info: "header")
    }

    /// Serialises a header for `stanzas`, MACed with `fileKey`.
    static func encode(stanzas: [AgeStanza], fileKey: AgeFileKey) -> [UInt8] {
        var out = versionLine
        for stanza in stanzas { out += stanza.encoded }
        out += Array("---".utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: out, using: macKey(for: fileKey))
        out += Array(" \(Base64.encode(Array(mac)))\n".utf8)
        return out
    }

    /// Whether the MAC verifies under `fileKey` (constant time).
    func verifyMAC(fileKey: AgeFileKey) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(
            mac, authenticating: authenticatedBytes, using: Self.macKey(for: fileKey))
    }

    /// Returns the header's length if `buffer` holds a complete header, nil if more bytes are
    /// needed, and throws if the bytes cannot be an age header. `scanned` remembers progress
    /// between calls so that feeding a header byte by byte stays linear.
    static func completeLength(in buffer: [UInt8], scanned: inout Int) throws(AgeError) -> Int? {
        let prefixCount = min(buffer.count, versionPrefix.count)
        guard buffer[..<prefixCount].elementsEqual(versionPrefix[..<prefixCount]) else {
            throw .malformedHeader("the file does not start with \"age-encryption.org/\": it is not an age file")
        }
        // The MAC line is the only line that starts with '-' and a third '-' (spec: "each section
        // of the header can be parsed by looking at its first three characters").
        var index = max(scanned, 0)
        while index + 4 <= buffer.count {
            if buffer[index] == 0x0A, buffer[index + 1] == 0x2D, buffer[index + 2] == 0x2D, buffer[index + 3] == 0x2D {
                if let end = buffer[(index + 4)...].firstIndex(of: 0x0A) { return end + 1 }
                scanned = index
                return try checkSize(buffer)
            }
            index += 1
        }
        scanned = max(0, buffer.count - 3)
        return try checkSize(buffer)
    }

    private static func checkSize(_ buffer: [UInt8]) throws(AgeError) -> Int? {
        guard buffer.count <= maximumSize else {
            throw .malformedHeader("no end of header within \(maximumSize) bytes")
        }
        return nil
    }

    /// Parses a complete header (as delimited by `completeLength`), strictly.
    static func parse(_ bytes: ArraySlice<UInt8>) throws(AgeError) -> AgeHeader {
        var lines = LineReader(bytes: bytes)
        guard let version = lines.next() else { throw .malformedHeader("the header is empty") }
        guard version.elementsEqual(versionLine.dropLast()) else {
            if version.starts(with: versionPrefix) {
                let name = String(decoding: version.dropFirst(versionPrefix.count).prefix(32), as: UTF8.self)
                throw .malformedHeader("unsupported age format version \"\(name)\" (only v1 is supported)")
            }
            throw .malformedHeader("the first line is not \"age-encryption.org/v1\"")
        }
        var stanzas: [AgeStanza] = []
        while let line = lines.next() {
            if line.starts(with: Array("--- ".utf8)) {
                guard !stanzas.isEmpty else { throw .malformedHeader("the header has no recipient stanzas") }
                guard let mac = Base64.decodeUnpadded(line.dropFirst(4)), mac.count == 32 else {
                    throw .malformedHeader("the MAC line is not a canonical base64 32-byte MAC")
                }
                guard lines.isAtEnd else { throw .malformedHeader("data follows the MAC line inside the header") }
                let macEnd = line.startIndex + 3
                return AgeHeader(
                    stanzas: stanzas, mac: mac, authenticatedBytes: Array(bytes[bytes.startIndex..<macEnd]))
            }
            guard stanzas.count < maximumStanzas else {
                throw .malformedHeader(
                    "it has more than \(maximumStanzas) recipient stanzas, more than any backup is encrypted to")
            }
            guard line.starts(with: Array("-> ".utf8)) else {
                throw .malformedHeader("line \(stanzas.count + 2) is neither a stanza (\"-> \") nor the MAC (\"--- \")")
            }
            stanzas.append(try parseStanza(arguments: line.dropFirst(3), lines: &lines))
        }
        throw .malformedHeader("the header ends without a MAC line")
    }

    private static func parseStanza(
        arguments: ArraySlice<UInt8>, lines: inout LineReader
    ) throws(AgeError) -> AgeStanza {
        let parts = arguments.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.allSatisfy({ AgeStanza.isValidArgument($0) }) else {
            throw .malformedHeader("a stanza has an empty argument or one with characters outside 0x21–0x7E")
        }
        var text: [UInt8] = []
        while true {
            guard let line = lines.next() else {
                throw .malformedHeader("a stanza body does not end with a line shorter than 64 columns")
            }
            guard line.count <= 64, line.allSatisfy(Base64.isAlphabet) else {
                throw .malformedHeader("a stanza body line is longer than 64 columns or is not unpadded base64")
            }
            text += line
            if line.count < 64 { break }
        }
        guard let body = Base64.decodeUnpadded(text) else {
            throw .malformedHeader("a stanza body is not canonical base64")
        }
        let strings = parts.map { String(decoding: $0, as: UTF8.self) }
        return AgeStanza(type: strings[0], arguments: Array(strings.dropFirst()), body: body)
    }
}

/// Splits a byte slice at LF, yielding each line without its terminator.
private struct LineReader {
    var bytes: ArraySlice<UInt8>

    var isAtEnd: Bool { bytes.isEmpty }

    mutating func next() -> ArraySlice<UInt8>? {
        guard let newline = bytes.firstIndex(of: 0x0A) else { return nil }
        let line = bytes[bytes.startIndex..<newline]
        bytes = bytes[(newline + 1)...]
        return line
    }
}
