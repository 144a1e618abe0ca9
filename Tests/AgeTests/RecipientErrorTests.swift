import Foundation
import Testing

@testable import Age

/// What an operator reads when a recipient is wrong: plain words, and never a secret key.
@Suite struct RecipientErrorTests {
    let identity = X25519Identity.generate()

    /// The part of a secret key after its prefix, which no message may contain.
    private func secretPart(_ key: String) -> String { String(key.dropFirst("AGE-SECRET-KEY-1".count).prefix(30)) }

    @Test(arguments: [false, true])
    func aSecretKeyGivenAsARecipientIsNeverRepeated(lowercase: Bool) {
        let key = lowercase ? identity.encoded.lowercased() : identity.encoded
        do {
            _ = try X25519Recipient(parsing: key)
            Issue.record("a secret key was accepted as a recipient")
        } catch {
            let text = "\(error)"
            #expect(!text.uppercased().contains(secretPart(identity.encoded)), "\(text)")
            #expect(text.contains("this is a secret key (AGE-SECRET-KEY-…"), "\(text)")
            #expect(text.contains("age-keygen -y FILE"), "\(text)")
        }
    }

    @Test func aSecretKeyInARecipientsFileIsNamedByLineOnly() {
        let text = "# keys\n\(identity.identityFile(created: Date()))"
        do {
            _ = try AgeKeys.parseRecipients(text, source: "r.txt")
            Issue.record("an identity file was accepted as a recipients file")
        } catch {
            #expect(!"\(error)".contains(secretPart(identity.encoded)), "\(error)")
            #expect("\(error)".contains("r.txt:4: this is a secret key"), "\(error)")
        }
    }

    @Test func anSSHKeyIsUnsupportedNotABech32Error() {
        let ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN alice@host"
        #expect(
            throws: AgeError.invalidRecipient(
                "\"ssh-ed25519 …\"",
                reason:
                    "SSH keys are not supported (age X25519 keys only); make one with `litesafe keygen` or `age-keygen`"
            )
        ) { try X25519Recipient(parsing: ssh) }
        for line in [ssh, "ecdsa-sha2-nistp256 AAAA", "sk-ssh-ed25519@openssh.com AAAA"] {
            #expect(throws: AgeError.self) { try AgeKeys.parseRecipients(line, source: "r.txt") }
            do {
                _ = try AgeKeys.parseRecipients(line, source: "r.txt")
            } catch {
                #expect("\(error)".contains("r.txt:1: SSH keys are not supported (age X25519 keys only)"), "\(error)")
            }
        }
    }

    @Test(
        "Bech32 errors are sentences, not Swift case names",
        arguments: [
            ("age1notakey", "it contains a character an age key never has"),
            ("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwx", "its checksum does not match"),
            ("Age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", "it mixes upper and lower case"),
            ("agezvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", "it has no '1' after its prefix"),
        ])
    func bech32ErrorsAreReadable(text: String, expected: String) {
        do {
            _ = try X25519Recipient(parsing: text)
            Issue.record("\(text) was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("not a valid age public key: \(expected)"), "\(message)")
            for name in ["invalidCharacter", "badChecksum", "mixedCase", "noSeparator", "badPadding", "emptyHRP"] {
                #expect(!message.contains(name), "\(message)")
            }
        }
    }

    @Test func redactionCutsEverySecretKeyToItsPrefix() throws {
        let pq = try MLKEM768X25519Identity.generate().encoded
        let text = "a: \(identity.encoded), b: '\(identity.encoded.lowercased())' c: \(pq)."
        let redacted = AgeKeys.redactingSecretKeys(text)
        #expect(redacted == "a: AGE-SECRET-KEY-…, b: 'AGE-SECRET-KEY-…' c: AGE-SECRET-KEY-….")
        #expect(AgeKeys.redactingSecretKeys(redacted) == redacted, "redacting twice changes nothing")
        #expect(AgeKeys.redactingSecretKeys("age1abc and nothing secret") == "age1abc and nothing secret")
    }
}
