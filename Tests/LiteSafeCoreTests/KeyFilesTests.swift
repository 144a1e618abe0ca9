import Age
import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

/// Recipients and identity files: used only when nobody but root or the running user could
/// have changed them, and a secret key never shown.
@Suite struct KeyFilesTests {
    /// `nobody`: a real user other than root and other than whoever runs the tests.
    static let otherUser: uid_t = 65_534
    static var isRoot: Bool { geteuid() == 0 }

    let identity = X25519Identity.generate()

    @Test func anIdentityOthersMayReadWarnsAtTheCommandLineAndIsRefusedOtherwise() throws {
        let fixture = try ConfigurationFixture()
        let file = try fixture.write("key.txt", identity.identityFile(created: Date()), mode: 0o644)
        let expected = "\(file) holds a secret key but others may read it (mode 0644); run `chmod o-rwx \(file)`"
        var warnings: [String] = []
        let identities = try IdentityFile.read(file, warn: { warnings.append($0) })
        #expect(identities.count == 1)
        #expect(warnings == [expected])
        #expect(throws: IdentityFile.Refused(description: expected)) { try IdentityFile.read(file) }

        // Group read is how the daemon is given its key (root:litesafe 0640): no warning.
        chmod(file, 0o640)
        warnings = []
        _ = try IdentityFile.read(file, warn: { warnings.append($0) })
        #expect(warnings.isEmpty)
    }

    @Test func anIdentityOthersMayWriteIsRefusedEvenAtTheCommandLine() throws {
        let fixture = try ConfigurationFixture()
        let file = try fixture.write("key.txt", identity.identityFile(created: Date()), mode: 0o620)
        #expect(
            throws: IdentityFile.Refused(
                description:
                    "\(file) holds a secret key but is writable by group or others (mode 0620): anyone could replace the key; run `chmod go-w \(file)`"
            )
        ) { try IdentityFile.read(file, warn: { _ in }) }
    }

    @Test func identityErrorsNeverQuoteTheKey() throws {
        let fixture = try ConfigurationFixture()
        var broken = identity.encoded
        broken.removeLast()
        broken.append(identity.encoded.last == "Q" ? "P" : "Q")
        let file = try fixture.write("key.txt", "# a key\n\(broken)\n", mode: 0o600)
        do {
            _ = try IdentityFile.read(file)
            Issue.record("a damaged key was accepted")
        } catch {
            #expect("\(error)".contains("\(file):2"), "\(error)")
            #expect(!"\(error)".contains(broken.dropFirst(16).prefix(20)), "\(error)")
        }
    }

    @Test func aSecretKeyInARecipientsFileIsNeverQuoted() throws {
        let fixture = try ConfigurationFixture()
        let file = try fixture.write("recipients.txt", identity.identityFile(created: Date()), mode: 0o600)
        do {
            _ = try RecipientsFile.read(file)
            Issue.record("an identity file was accepted as recipients")
        } catch {
            #expect(!"\(error)".contains(identity.encoded.dropFirst(16).prefix(20)), "\(error)")
            #expect("\(error)".contains("\(file):3: this is a secret key"), "\(error)")
        }
    }
}
