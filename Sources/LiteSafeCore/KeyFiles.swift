import Age
import Foundation

/// A file of age recipients (one `age1…` key per line, `#` comments, as `age -R` takes), read
/// the same way by the configuration and by `litesafe backup --recipients-file`.
public enum RecipientsFile {
    /// Why a recipients file cannot be used; the description says what to do.
    public struct Refused: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Reads and parses `file`, refusing one that others could write to (whoever can write it
    /// can add their own key and read every later backup).
    public static func read(_ file: String) throws -> [X25519Recipient] {
        switch ConfigurationFile.read(file) {
        case .failure(let failure): throw Refused(description: unreadable(file, failure))
        case .success(let contents):
            if let refusal = insecurity(file, mode: contents.mode) { throw Refused(description: refusal) }
            guard let text = String(data: contents.data, encoding: .utf8) else {
                throw Refused(description: notText(file))
            }
            // Names the failing line as `file:line`, and rejects a file with no keys at all.
            return try AgeKeys.parseRecipients(text, source: file)
        }
    }

    static func unreadable(_ file: String, _ failure: ConfigurationFile.ReadFailure) -> String {
        failure.isMissing
            ? "\(file) does not exist; create it with one age public key (age1…) per line"
            : "cannot read \(file): \(failure.reason)"
    }

    static func insecurity(_ file: String, mode: mode_t) -> String? {
        guard ConfigurationFile.isWritableByOthers(mode) else { return nil }
        return
            "\(file) is writable by group or others (mode \(ConfigurationFile.octal(mode))): anyone who can write it could add their own key and read future backups; run `chmod go-w \(file)`"
    }

    static func notText(_ file: String) -> String {
        "\(file) is not UTF-8 text; it should hold one age public key (age1…) per line"
    }
}

/// An age identity file (`age-keygen` output: `AGE-SECRET-KEY-1…` lines and `#` comments), read
/// the same way by restore, verify and the daemon's restore tests.
public enum IdentityFile {
    /// Reads and parses `file`; errors name the file (and the failing line).
    public static func read(_ file: String) throws -> [any AgeIdentity] {
        try AgeKeys.parseIdentities(String(decoding: try FileSystem.readSmallFile(file), as: UTF8.self), source: file)
    }
}
