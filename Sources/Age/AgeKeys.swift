/// Parsers for recipients files and identity files in the formats the age CLI reads.
public enum AgeKeys {
    /// Parses a recipients file: one `age1…` X25519 recipient per line; lines starting with
    /// `#` and blank lines are ignored. Errors name `source:line`. A file without any
    /// recipient is an error too, since encrypting to nobody is never what was meant.
    public static func parseRecipients(_ text: String, source: String) throws -> [X25519Recipient] {
        try parseLines(text, source: source) { line, location -> X25519Recipient in
            if line.hasPrefix("age1pq1") {
                throw AgeError.invalidRecipient(
                    location,
                    reason: "post-quantum recipients (age1pq1…) are not accepted here, only X25519 ones (age1…)")
            }
            return try parseX25519(line, location: location)
        } empty: {
            AgeError.invalidRecipient(source, reason: "it lists no recipients, only comments or blank lines")
        }
    }

    /// Like `parseRecipients`, but also accepts post-quantum `age1pq1…` recipients.
    public static func parseAnyRecipients(_ text: String, source: String) throws -> [any AgeRecipient] {
        try parseLines(text, source: source) { line, location -> any AgeRecipient in
            if line.hasPrefix("age1pq1") {
                do {
                    return try MLKEM768X25519Recipient(parsing: line)
                } catch let error as AgeError {
                    guard case .invalidRecipient(_, let reason) = error else { throw error }
                    throw AgeError.invalidRecipient(location, reason: reason)
                }
            }
            return try parseX25519(line, location: location)
        } empty: {
            AgeError.invalidRecipient(source, reason: "it lists no recipients, only comments or blank lines")
        }
    }

    /// Parses an identity file: `AGE-SECRET-KEY-1…` (X25519) and `AGE-SECRET-KEY-PQ-1…`
    /// (post-quantum) lines, `#` comments and blank lines, as `age-keygen` writes them.
    /// Errors name `source:line` and never quote the line, which may hold a key.
    public static func parseIdentities(_ text: String, source: String) throws -> [any AgeIdentity] {
        var bytes = Array(text.utf8)
        defer { bytes.wipe() }
        return try parseIdentities(bytes, source: source)
    }

    /// Like `parseIdentities(_:source:)`, from the file's bytes: no `String` copy of a key is
    /// made, and every working copy is zeroed (the caller wipes `bytes` when done).
    public static func parseIdentities(_ bytes: [UInt8], source: String) throws -> [any AgeIdentity] {
        if bytes.starts(with: "age-encryption.org/".utf8)
            || bytes.firstRange(of: Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)) != nil
        {
            throw AgeError.invalidIdentity(
                reason: "\(source) is an encrypted (passphrase-protected) identity file; decrypt it first")
        }
        var identities: [any AgeIdentity] = []
        // Lines end at LF; a CR before it (CRLF files) is trimmed with the other blanks.
        for (index, rawLine) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingASCIIWhitespace()
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            let location = "\(source):\(index + 1)"
            do {
                if line.starts(with: "AGE-SECRET-KEY-PQ-1".utf8) {
                    identities.append(try MLKEM768X25519Identity(parsing: line))
                    continue
                }
                if line.starts(with: "AGE-SECRET-KEY-1".utf8) {
                    identities.append(try X25519Identity(parsing: line))
                    continue
                }
            } catch {
                guard case .invalidIdentity(let reason) = error else { throw error }
                throw AgeError.invalidIdentity(reason: "\(location): \(reason)")
            }
            if line.starts(with: "AGE-PLUGIN-".utf8) {
                throw AgeError.invalidIdentity(reason: "\(location): age plugin identities are not supported")
            }
            if line.starts(with: "-----BEGIN".utf8) {
                throw AgeError.invalidIdentity(reason: "\(location): SSH and PEM keys are not supported")
            }
            throw AgeError.invalidIdentity(reason: "\(location): not an age secret key (expected AGE-SECRET-KEY-1…)")
        }
        guard !identities.isEmpty else {
            throw AgeError.invalidIdentity(reason: "\(source) contains no identities, only comments or blank lines")
        }
        return identities
    }

    private static func parseX25519(_ line: String, location: String) throws -> X25519Recipient {
        do {
            return try X25519Recipient(parsing: line)
        } catch {
            guard case .invalidRecipient(_, let reason) = error else { throw error }
            throw AgeError.invalidRecipient(location, reason: reason)
        }
    }

    /// What errors show instead of a secret key.
    public static let secretKeyPlaceholder = "AGE-SECRET-KEY-…"

    static let secretKeyGivenAsRecipient =
        "this is a secret key (AGE-SECRET-KEY-…, not repeated here), which belongs off this host; use its public key: "
        + "`age-keygen -y FILE`"

    /// Whether `text` is (or starts like) an age secret key, in either case, after leading blanks.
    public static func isSecretKey<S: StringProtocol>(_ text: S) -> Bool {
        text.drop(while: { $0 == " " || $0 == "\t" }).uppercased().hasPrefix("AGE-SECRET-KEY-")
    }

    /// `text` with every age secret key (`AGE-SECRET-KEY-…`, any case) cut down to its prefix, so
    /// a message that quotes what an operator typed never carries a secret into a log.
    public static func redactingSecretKeys(_ text: String) -> String {
        let marker = Array("AGE-SECRET-KEY-".utf8)
        let ellipsis = Array("…".utf8)
        let bytes = Array(text.utf8)
        guard bytes.count >= marker.count else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        var changed = false
        while index < bytes.count {
            if index + marker.count <= bytes.count,
                zip(bytes[index..<(index + marker.count)], marker).allSatisfy({ upper($0) == $1 })
            {
                changed = true
                out += Array(secretKeyPlaceholder.utf8)
                index += marker.count
                // The rest of the key: Bech32 characters, and PQ- for post-quantum keys; or the
                // ellipsis of a text already redacted.
                while index < bytes.count, isKeyCharacter(bytes[index]) { index += 1 }
                if bytes[index...].starts(with: ellipsis) { index += ellipsis.count }
                continue
            }
            out.append(bytes[index])
            index += 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }

    private static func upper(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
    }

    private static func isKeyCharacter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
    }

    /// The key type of an OpenSSH public key line (`ssh-ed25519 AAAA…`), or nil.
    static func sshKeyType(_ text: String) -> String? {
        let type = text.prefix(while: { $0 != " " && $0 != "\t" })
        let known = ["ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-"]
        return known.contains(where: { type.hasPrefix($0) }) ? String(type.prefix(40)) : nil
    }

    /// Runs `parse` on every non-blank, non-comment line (surrounding whitespace trimmed).
    private static func parseLines<T>(
        _ text: String, source: String, parse: (String, String) throws -> T, empty: () -> AgeError
    ) throws -> [T] {
        var results: [T] = []
        for (index, rawLine) in text.split(
            omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }
        ).enumerated() {
            let line = rawLine.trimmingASCIIWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            results.append(try parse(String(line), "\(source):\(index + 1)"))
        }
        guard !results.isEmpty else { throw empty() }
        return results
    }
}

extension Substring {
    /// The substring without leading and trailing spaces, tabs and CRs.
    fileprivate func trimmingASCIIWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return self[first...last]
    }
}

extension ArraySlice<UInt8> {
    /// The bytes without leading and trailing spaces, tabs and CRs (no copy).
    fileprivate func trimmingASCIIWhitespace() -> ArraySlice<UInt8> {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        let last = lastIndex(where: { !isSpace($0) })!
        return self[first...last]
    }
}
