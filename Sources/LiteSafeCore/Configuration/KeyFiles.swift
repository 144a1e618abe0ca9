import Age
import Foundation

/// A file of age recipients (one `age1…` key per line, `#` comments, as `age -R` takes), read
/// the same way by the configuration and by `litesafe backup --recipients-file`.
public enum RecipientsFile {
    /// Why a recipients file cannot be used; the description says what to do, except where the
    /// fix depends on the installation (`fix`, which the edge words).
    public struct Refused: Error, CustomStringConvertible, Equatable {
        public let description: String
        public var fix: ConfigurationProblem.Fix? = nil
    }

    /// The key `config/litesafe.yml` shows as an example; nobody holds its secret key, so backups
    /// encrypted to it could never be restored.
    public static let exampleKey = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"

    /// Reads and parses `file`, refusing one that others could change (whoever can write it
    /// can add their own key and read every later backup).
    public static func read(_ file: String) throws -> [X25519Recipient] {
        switch ConfigurationFile.read(file) {
        case .failure(let failure): throw Refused(description: unreadable(file, failure))
        case .success(let contents):
            if let refusal = insecurity(file, contents) { throw refusal }
            guard let text = String(data: contents.data, encoding: .utf8) else {
                throw Refused(description: notText(file))
            }
            // Names the failing line as `file:line`, and rejects a file with no keys at all.
            let recipients = try AgeKeys.parseRecipients(text, source: file)
            if let refusal = exampleKeyProblem(recipients, in: file) {
                throw Refused(description: refusal, fix: .replaceExampleKey)
            }
            return recipients
        }
    }

    /// The refusal when `recipients` include `exampleKey`, naming where it was found (the edge
    /// adds how to make a key of one's own: `ConfigurationProblem.Fix.replaceExampleKey`).
    public static func exampleKeyProblem(_ recipients: [X25519Recipient], in place: String) -> String? {
        guard recipients.contains(where: { $0.description == exampleKey }) else { return nil }
        return
            "\(place) holds the example key \(exampleKey.prefix(12))… from config/litesafe.yml, whose secret key nobody has: backups encrypted to it could never be restored; replace it with your own public key"
    }

    static func unreadable(_ file: String, _ failure: ConfigurationFile.ReadFailure) -> String {
        failure.isMissing
            ? "\(file) does not exist; create it with one age public key (age1…) per line"
            : "cannot read \(file): \(failure.reason)"
    }

    static func insecurity(_ file: String, _ contents: ConfigurationFile) -> Refused? {
        guard ConfigurationFile.isWritableByOthers(contents.mode) else {
            return FileTrust.problem(file, owner: contents.owner, risk: "add their own key and read future backups")
                .map { Refused(description: $0.description, fix: .untrustedFile($0)) }
        }
        return Refused(
            description:
                "\(file) is writable by group or others (mode \(ConfigurationFile.octal(contents.mode))): anyone who can write it could add their own key and read future backups; run `chmod go-w \(file)`"
        )
    }

    static func notText(_ file: String) -> String {
        "\(file) is not UTF-8 text; it should hold one age public key (age1…) per line"
    }
}

/// An age identity file (`age-keygen` output: `AGE-SECRET-KEY-1…` lines and `#` comments), read
/// the same way by restore, verify and the daemon's restore tests.
public enum IdentityFile {
    /// Why an identity file is not used; the description says what to do (except where the
    /// fix depends on the installation: `fix`, which the edge words) and never quotes a key.
    public struct Refused: Error, CustomStringConvertible, Equatable {
        public let description: String
        public var fix: ConfigurationProblem.Fix? = nil
    }

    /// Reads and parses `file`; errors name the file (and the failing line), never the key.
    ///
    /// A file anyone but root or the running user could change is refused (they could swap the
    /// key a restore test trusts). One that others may read is refused when `warn` is nil (the
    /// daemon); otherwise `warn` is told and the file is used (a person restoring by hand).
    public static func read(_ file: String, warn: ((String) -> Void)? = nil) throws -> [any AgeIdentity] {
        var contents: ConfigurationFile
        switch ConfigurationFile.read(file) {
        case .success(let read): contents = read
        case .failure(let failure) where failure.isMissing:
            throw Refused(description: "\(file) does not exist; name the identity file (secret key) age-keygen wrote")
        case .failure(let failure): throw Refused(description: "cannot read \(file): \(failure.reason)")
        }
        defer { contents.data.wipe() }
        if ConfigurationFile.isWritableByOthers(contents.mode) {
            throw Refused(
                description:
                    "\(file) holds a secret key but is writable by group or others (mode \(ConfigurationFile.octal(contents.mode))): anyone could replace the key; run `chmod go-w \(file)`"
            )
        }
        if let problem = FileTrust.problem(file, owner: contents.owner, risk: "replace the secret key") {
            throw Refused(description: problem.description, fix: .untrustedFile(problem))
        }
        if let problem = readableByOthers(file, mode: contents.mode) {
            guard let warn else { throw Refused(description: problem) }
            warn(problem)
        }
        var bytes = [UInt8](contents.data)
        defer { bytes.wipe() }
        return try AgeKeys.parseIdentities(bytes, source: file)
    }

    /// The complaint about a secret-key file others may read, or nil. Group read is allowed:
    /// root:litesafe 0640 is how the daemon is given its key.
    public static func readableByOthers(_ file: String, mode: mode_t) -> String? {
        guard mode & 0o007 != 0 else { return nil }
        return
            "\(file) holds a secret key but others may read it (mode \(ConfigurationFile.octal(mode))); run `chmod o-rwx \(file)`"
    }
}

extension Data {
    /// Overwrites the bytes with zeros, so a secret read into them does not outlive its use.
    mutating func wipe() {
        withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            explicit_bzero(base, bytes.count)
        }
    }
}

extension [UInt8] {
    /// Overwrites the bytes with zeros, so a secret read into them does not outlive its use.
    mutating func wipe() {
        withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            explicit_bzero(base, bytes.count)
        }
    }
}
