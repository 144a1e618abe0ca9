import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

/// `encryption`: required, explicit when off, and every key parsed at load.
@Suite struct ConfigurationEncryptionTests {
    /// The fixture's file with its three `encryption` lines (2–4) replaced by `lines`.
    private func text(_ fixture: ConfigurationFixture, encryption lines: String) -> String {
        fixture.text().replacingOccurrences(
            of: "  encryption:\n    recipients: [\(ConfigurationFixture.recipient)]\n", with: lines)
    }

    @Test func refusesADatabaseWithoutEncryption() throws {
        let fixture = try ConfigurationFixture()
        #expect(
            fixture.problems(text(fixture, encryption: "")) == [
                "test.yml:4:5: no encryption configured for database 'app': add encryption.recipients or encryption.recipients_file, or `encryption: none` to store plaintext deliberately"
            ])
    }

    @Test func plaintextIsAllowedWhenExplicitButWarns() throws {
        let fixture = try ConfigurationFixture()
        let loaded = try fixture.load(text(fixture, encryption: "  encryption: none\n"))
        guard case .none = loaded.configuration.databases[0].encryption else {
            Issue.record("expected plaintext")
            return
        }
        #expect(
            loaded.warnings.map(\.description) == [
                "test.yml:3:15: warning: database 'app' is backed up without encryption (`encryption: none`): anyone who can read \(fixture.destination)/app can read its data"
            ])
    }

    @Test(arguments: [
        (
            "  encryption: {}\n",
            "3:15: defaults.encryption: no recipients: add recipients: [age1…] or recipients_file: /etc/litesafe/recipients.txt, or write `encryption: none` to store plaintext deliberately"
        ),
        (
            "  encryption:\n    recipients: []\n",
            "4:5: defaults.encryption: no recipients: add recipients: [age1…] or recipients_file: /etc/litesafe/recipients.txt, or write `encryption: none` to store plaintext deliberately"
        ),
        (
            "  encryption: yes\n",
            "3:15: defaults.encryption: expected `none` or a mapping with recipients and/or recipients_file, got 'yes'"
        ),
        (
            "  encryption:\n    recipient: [age1abc]\n",
            "4:5: unknown key 'recipient' — did you mean 'recipients'?"
        ),
        (
            "  encryption:\n    recipients: { key: age1abc }\n",
            "4:17: defaults.encryption.recipients: expected a list of age public keys such as [age1…], got a mapping"
        ),
        (
            "  encryption:\n    recipients_file: recipients.txt\n",
            "4:22: defaults.encryption.recipients_file: expected an absolute path (starting with /), got 'recipients.txt'"
        ),
    ])
    func rejectsMalformedEncryption(lines: String, expected: String) throws {
        let fixture = try ConfigurationFixture()
        #expect(fixture.problems(text(fixture, encryption: lines)) == ["test.yml:" + expected])
    }

    @Test func namesEachRecipientThatDoesNotParse() throws {
        let fixture = try ConfigurationFixture()
        let lines = """
              encryption:
                recipients:
                  - \(ConfigurationFixture.recipient)
                  - age1notakey
                  - ssh-ed25519 AAAA

            """
        let hint = "a recipient is an age public key such as age1… (age-keygen -y KEYFILE prints it)"
        #expect(
            fixture.problems(text(fixture, encryption: lines)) == [
                "test.yml:6:9: defaults.encryption.recipients: invalid recipient \"age1notakey\": not a valid age public key: it contains a character an age key never has (after age1: letters and digits other than b, i, o and 1, no spaces); \(hint)",
                "test.yml:7:9: defaults.encryption.recipients: invalid recipient \"ssh-ed25519 …\": SSH keys are not supported (age X25519 keys only); make one with `litesafe keygen` or `age-keygen`; \(hint)",
            ])
    }

    @Test func refusesMoreRecipientsThanARestoreAccepts() throws {
        let fixture = try ConfigurationFixture()
        let many = String(repeating: ConfigurationFixture.recipient + "\n", count: 1_001)
        let file = try fixture.write("recipients.txt", many)
        #expect(
            fixture.problems(text(fixture, encryption: "  encryption:\n    recipients_file: \(file)\n")) == [
                "test.yml:4:5: defaults.encryption: 1001 recipients, more than the 1000 a backup may be encrypted to"
            ])
        try fixture.write("recipients.txt", String(many.dropFirst(ConfigurationFixture.recipient.count + 1)))
        #expect(throws: Never.self) {
            try fixture.load(text(fixture, encryption: "  encryption:\n    recipients_file: \(file)\n"))
        }
    }

    @Test func acceptsASingleRecipientWithoutBrackets() throws {
        let fixture = try ConfigurationFixture()
        let lines = "  encryption:\n    recipients: \(ConfigurationFixture.recipient)\n"
        guard
            case .recipients(let keys) = try fixture.load(text(fixture, encryption: lines)).configuration.databases[0]
                .encryption
        else {
            Issue.record("expected recipients")
            return
        }
        #expect(keys.count == 1)
    }

    @Test func readsRecipientsFromAFileAndInline() throws {
        let fixture = try ConfigurationFixture()
        let file = try fixture.write(
            "recipients.txt", "# backup operators\n\(ConfigurationFixture.otherRecipient)\n", mode: 0o644)
        let lines = """
              encryption:
                recipients: [\(ConfigurationFixture.recipient)]
                recipients_file: \(file)

            """
        guard
            case .recipients(let keys) = try fixture.load(text(fixture, encryption: lines)).configuration.databases[0]
                .encryption
        else {
            Issue.record("expected recipients")
            return
        }
        #expect(
            keys.map { String(describing: $0) } == [
                ConfigurationFixture.recipient, ConfigurationFixture.otherRecipient,
            ])
    }

    @Test func rejectsAMissingEmptyOrUnreadableRecipientsFile() throws {
        let fixture = try ConfigurationFixture()
        func problems(_ file: String) -> [String] {
            fixture.problems(text(fixture, encryption: "  encryption:\n    recipients_file: \(file)\n"))
        }
        let missing = fixture.root + "/absent.txt"
        #expect(
            problems(missing) == [
                "test.yml:4:22: defaults.encryption.recipients_file: \(missing) does not exist; create it with one age public key (age1…) per line"
            ])
        let empty = try fixture.write("empty.txt", "# nobody yet\n\n")
        let hint = "a recipient is an age public key such as age1… (age-keygen -y KEYFILE prints it)"
        #expect(
            problems(empty) == [
                "test.yml:4:22: defaults.encryption.recipients_file: invalid recipient \(empty): it lists no recipients, only comments or blank lines; \(hint)"
            ])
        #expect(
            problems(fixture.root + "/data") == [
                "test.yml:4:22: defaults.encryption.recipients_file: cannot read \(fixture.root)/data: Is a directory"
            ])
        let bad = try fixture.write("bad.txt", "\(ConfigurationFixture.recipient)\nage1oops\n")
        #expect(
            problems(bad) == [
                "test.yml:4:22: defaults.encryption.recipients_file: invalid recipient \(bad):2: not a valid age public key: its checksum does not match: a character is wrong, missing or extra (copy the key again); \(hint)"
            ])
    }

    @Test(arguments: [0o664, 0o646, 0o666] as [mode_t])
    func rejectsARecipientsFileOthersCanWrite(mode: mode_t) throws {
        let fixture = try ConfigurationFixture()
        let file = try fixture.write("recipients.txt", ConfigurationFixture.recipient + "\n", mode: mode)
        let octal = "0" + String(mode, radix: 8)
        #expect(
            fixture.problems(text(fixture, encryption: "  encryption:\n    recipients_file: \(file)\n")) == [
                "test.yml:4:22: defaults.encryption.recipients_file: \(file) is writable by group or others (mode \(octal)): anyone who can write it could add their own key and read future backups; run `chmod go-w \(file)`"
            ])
    }

    @Test func aDatabaseMayTurnEncryptionOffWhileDefaultsEncrypt() throws {
        let fixture = try ConfigurationFixture()
        let loaded = try fixture.load(fixture.text() + "    encryption: none\n")
        guard case .none = loaded.configuration.databases[0].encryption else {
            Issue.record("expected plaintext")
            return
        }
        #expect(loaded.warnings.count == 1)
    }
}
