import Foundation
import Testing

@testable import Age

/// Recipients files and identity files, as operators write them.
@Suite struct KeysTests {
    let alice = X25519Identity.generate()
    let bob = X25519Identity.generate()

    @Test func recipientsFileWithCommentsBlankLinesAndCRLF() throws {
        let text = "# production\r\n\r\n\(alice.recipient)\r\n  \(bob.recipient)  \n# old key, removed\n"
        let recipients = try AgeKeys.parseRecipients(text, source: "recipients.txt")
        #expect(recipients == [alice.recipient, bob.recipient])
    }

    @Test func recipientErrorsNameSourceAndLine() {
        let text = "# keys\n\(alice.recipient)\nage1notakey\n"
        #expect(throws: AgeError.self) { try AgeKeys.parseRecipients(text, source: "recipients.txt") }
        do {
            _ = try AgeKeys.parseRecipients(text, source: "recipients.txt")
        } catch let error as AgeError {
            guard case .invalidRecipient(let location, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(location == "recipients.txt:3")
            #expect(error.description.contains("recipients.txt:3"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func emptyRecipientsFileIsAnError() {
        #expect(throws: AgeError.self) { try AgeKeys.parseRecipients("# nothing here\n\n", source: "r.txt") }
        #expect(throws: AgeError.self) { try AgeKeys.parseRecipients("", source: "r.txt") }
    }

    @Test func sshAndPostQuantumRecipientsAreRefusedWithAReason() throws {
        let pq = try MLKEM768X25519Identity.generate().recipient.description
        let ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN alice@rust"
        for line in [ssh, pq] {
            do {
                _ = try AgeKeys.parseRecipients(line, source: "r.txt")
                Issue.record("accepted \(line.prefix(20))")
            } catch {
                #expect("\(error)".contains("r.txt:1"), "\(error)")
            }
        }
        let mixed = try AgeKeys.parseAnyRecipients("\(alice.recipient)\n\(pq)\n", source: "r.txt")
        #expect(mixed.count == 2)
        #expect(mixed[1] is MLKEM768X25519Recipient)
    }

    @Test func identityFileRoundTrip() throws {
        let text = alice.identityFile(created: Date()) + "\n# second key\n" + bob.identityFile(created: Date())
        let identities = try AgeKeys.parseIdentities(text, source: "keys.txt")
        #expect(identities.compactMap { ($0 as? X25519Identity)?.recipient } == [alice.recipient, bob.recipient])
    }

    @Test func identityErrorsNameTheLineButNotTheSecret() {
        var key = alice.encoded
        key.removeLast()
        key.append(alice.encoded.last == "Q" ? "P" : "Q")
        let text = "# created: 2024-01-01T00:00:00Z\n\(key)\n"
        do {
            _ = try AgeKeys.parseIdentities(text, source: "keys.txt")
            Issue.record("a corrupted key was accepted")
        } catch {
            #expect("\(error)".contains("keys.txt:2"))
            #expect(!"\(error)".contains(key.dropFirst(16).prefix(20)))
        }
        for line in ["garbage", "AGE-PLUGIN-YUBIKEY-1QQQQ", "-----BEGIN OPENSSH PRIVATE KEY-----"] {
            #expect(throws: AgeError.self) { try AgeKeys.parseIdentities(line, source: "k") }
        }
        #expect(throws: AgeError.self) { try AgeKeys.parseIdentities("# only a comment\n", source: "k") }
        #expect(throws: AgeError.self) { try AgeKeys.parseIdentities("age-encryption.org/v1\n-> scrypt", source: "k") }
    }

    @Test func postQuantumIdentitiesParse() throws {
        let identity = try MLKEM768X25519Identity.generate()
        let parsed = try AgeKeys.parseIdentities("# pq\n\(identity.encoded)\n", source: "k")
        #expect((parsed.first as? MLKEM768X25519Identity)?.recipient == identity.recipient)
    }
}
