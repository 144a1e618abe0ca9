/// Everything that can go wrong reading keys or encrypting and decrypting age files.
///
/// Offsets are byte offsets from the start of the binary age file (the first byte of
/// `age-encryption.org/v1`), counting the header; for an armored file they count the
/// decoded binary bytes, not the armor text.
public enum AgeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No identity could unwrap the file key; `recipientTypes` summarises the header's
    /// stanzas, e.g. `["X25519 ×2"]` or `["scrypt"]`.
    case noIdentityMatched(recipientTypes: [String])
    /// The header is not a well-formed age v1 header (including semantically invalid stanzas).
    case malformedHeader(String)
    /// The file key was unwrapped but the header MAC does not verify: the header was modified.
    case headerMACMismatch
    /// The payload chunk starting at `offset` failed authentication; nothing from it was released.
    case payloadAuthenticationFailed(offset: Int)
    /// The file ends at `offset` without a final chunk: it was truncated.
    case payloadTruncated(offset: Int)
    /// Bytes follow the final chunk, starting at `offset`.
    case trailingData(offset: Int)
    /// The final chunk starting at `offset` is empty, which only an empty payload may have.
    case emptyFinalChunk(offset: Int)
    /// A recipient or identity of a kind this implementation does not handle.
    case unsupportedRecipientType(String)
    /// An scrypt stanza asks for more work than the identity allows.
    case scryptWorkFactorTooHigh(Int, max: Int)
    /// An scrypt recipient or stanza was mixed with other recipients.
    case scryptMustBeAlone
    /// A recipient string (or `source:line`) that cannot be parsed, and why.
    case invalidRecipient(String, reason: String)
    /// An identity that cannot be parsed; the reason never quotes secret material.
    case invalidIdentity(reason: String)
    /// The ASCII armor is not the strict PEM encoding age requires.
    case armor(String)
    /// Encryption was asked for with no recipients.
    case noRecipients

    public var description: String {
        switch self {
        case .noIdentityMatched(let types):
            return "no identity matches this file: " + Self.describeRecipients(types)
        case .malformedHeader(let detail):
            return "the age header is malformed (\(detail)); the file is damaged or not an age v1 file"
        case .headerMACMismatch:
            return "the age header failed authentication (bad MAC): the file was modified or damaged; "
                + "restore it from another copy"
        case .payloadAuthenticationFailed(let offset):
            return "the encrypted payload failed authentication in the chunk at byte \(offset): the file was "
                + "modified, damaged or truncated; no data from that chunk was released, restore the file "
                + "from another copy"
        case .payloadTruncated(let offset):
            return "the encrypted file ends at byte \(offset) without its final chunk: it was truncated "
                + "(an interrupted upload or copy?); restore the complete file"
        case .trailingData(let offset):
            return "unexpected data at byte \(offset) after the end of the encrypted file: the file was "
                + "appended to or concatenated; restore the original file"
        case .emptyFinalChunk(let offset):
            return "the encrypted payload ends with an empty chunk at byte \(offset), which age forbids: the "
                + "file was not written by a conforming age implementation or was modified"
        case .unsupportedRecipientType(let type):
            return "unsupported recipient or identity type \"\(type)\": use an X25519 key (age1…, "
                + "AGE-SECRET-KEY-1…), a post-quantum key (age1pq1…, AGE-SECRET-KEY-PQ-1…) or a passphrase"
        case .scryptWorkFactorTooHigh(let factor, let max):
            return "the passphrase-encrypted file asks for scrypt work factor \(factor), above the allowed "
                + "maximum of \(max); if you trust the file, raise the maximum"
        case .scryptMustBeAlone:
            return "a passphrase (scrypt) recipient must be the only recipient of a file: encrypt to the "
                + "passphrase alone or to public keys only"
        case .invalidRecipient(let what, let reason):
            return "invalid recipient \(what): \(reason); a recipient is an age public key such as age1… "
                + "(age-keygen -y KEYFILE prints it)"
        case .invalidIdentity(let reason):
            return "invalid identity: \(reason); an identity file holds lines like AGE-SECRET-KEY-1… as "
                + "written by age-keygen or litesafe keygen"
        case .armor(let detail):
            return "the ASCII-armored age file is malformed (\(detail)); the file is damaged or was "
                + "re-encoded by another program"
        case .noRecipients:
            return "no recipients given: configure at least one age public key (age1…) or a passphrase"
        }
    }

    /// Turns `["X25519 ×2"]` into a sentence that tells the operator what key to look for.
    private static func describeRecipients(_ types: [String]) -> String {
        if types == ["scrypt"] {
            return "it was encrypted with a passphrase; decrypt it with the passphrase instead of an identity file"
        }
        if types.isEmpty {
            return "its header names no recipients; pass the identity file whose public key was configured"
        }
        let parts = types.map { entry -> String in
            // "X25519 ×2" reads better as "2 X25519 recipients".
            let pieces = entry.split(separator: " ")
            if pieces.count == 2, pieces[1].hasPrefix("×"), let count = Int(pieces[1].dropFirst()) {
                return "\(count) \(pieces[0]) recipients"
            }
            return "1 \(entry) recipient"
        }
        return "it was encrypted to \(parts.joined(separator: " and ")); pass the identity file whose public key "
            + "was configured (age-keygen -y KEY prints it)"
    }

    /// Summarises stanza types in header order, counting repeats: `["X25519", "X25519"]` → `["X25519 ×2"]`.
    static func summarize(stanzaTypes: [String]) -> [String] {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for type in stanzaTypes {
            if counts[type] == nil { order.append(type) }
            counts[type, default: 0] += 1
        }
        return order.map { counts[$0]! > 1 ? "\($0) ×\(counts[$0]!)" : $0 }
    }
}
