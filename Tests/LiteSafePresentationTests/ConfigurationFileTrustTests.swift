import Foundation
import LiteSafePresentation
import TestSupport
import Testing

@testable import LiteSafeCore

/// The configuration is refused when anyone but root or the running user could have changed it:
/// the file, and every folder above it (sshd's StrictModes).
@Suite struct ConfigurationFileTrustTests {
    @Test func aFileInAFolderOthersMayWriteIsRefused() throws {
        let fixture = try ConfigurationFixture()
        let path = try fixture.write("open/litesafe.yml", fixture.text(), mode: 0o600)
        let folder = fixture.root + "/open"
        chmod(folder, 0o777)
        #expect(
            fixture.problems(path: path) == [
                "\(path): \(path) is in the folder \(folder), which group or others may write (mode 0777): they could replace the file and redirect backups or turn encryption off; run `chmod go-w \(folder)`"
            ])
        chmod(folder, 0o755)
        #expect(fixture.problems(path: path, accepted: true).isEmpty)
    }

    @Test func aStickyFolderLikeTmpIsAcceptedForOurOwnFile() throws {
        let fixture = try ConfigurationFixture()
        let path = try fixture.write("shared/litesafe.yml", fixture.text(), mode: 0o600)
        chmod(fixture.root + "/shared", 0o1777)
        #expect(fixture.problems(path: path, accepted: true).isEmpty)
    }

    @Test(.enabled(if: ConfigurationAdviceTests.isRoot, "only root can give a file to another user"))
    func aFileOwnedByAnotherUserIsRefusedWhateverItsMode() throws {
        let fixture = try ConfigurationFixture()
        let path = try fixture.write("litesafe.yml", fixture.text(), mode: 0o600)
        chown(path, ConfigurationAdviceTests.otherUser, ConfigurationAdviceTests.otherUser)
        let owner = FileTrust.userName(ConfigurationAdviceTests.otherUser)
        let me = FileTrust.userName(geteuid())
        #expect(
            fixture.problems(path: path) == [
                "\(path): \(path) is owned by \(owner), not by root or \(me) (who runs LiteSafe): that user could redirect backups or turn encryption off; give it to root with `chown root: \(path)` after checking its contents"
            ])
    }

    @Test(.enabled(if: ConfigurationAdviceTests.isRoot, "only root can give a folder to another user"))
    func aFolderOwnedByAnotherUserIsRefused() throws {
        let fixture = try ConfigurationFixture()
        let path = try fixture.write("theirs/litesafe.yml", fixture.text(), mode: 0o600)
        let folder = fixture.root + "/theirs"
        chown(folder, ConfigurationAdviceTests.otherUser, ConfigurationAdviceTests.otherUser)
        #expect(
            fixture.problems(path: path) == [
                "\(path): \(path) is in the folder \(folder), owned by \(FileTrust.userName(ConfigurationAdviceTests.otherUser)), not by root or \(FileTrust.userName(geteuid())): that user could replace the file and redirect backups or turn encryption off; move the file to a folder owned by root, such as /etc/litesafe"
            ])
    }

    @Test(.enabled(if: ConfigurationAdviceTests.isRoot, "only root can give a file to another user"))
    func recipientsAndIdentityFilesOfAnotherUserAreRefusedByTheConfiguration() throws {
        let fixture = try ConfigurationFixture()
        let recipients = try fixture.write("recipients.txt", ConfigurationFixture.otherRecipient + "\n", mode: 0o600)
        let identity = try fixture.write("identity.txt", "AGE-SECRET-KEY-1\n", mode: 0o600)
        for file in [recipients, identity] {
            chown(file, ConfigurationAdviceTests.otherUser, ConfigurationAdviceTests.otherUser)
        }
        let text =
            fixture.text(top: "verify_identity: \(identity)")
            + "    encryption:\n      recipients_file: \(recipients)\n"
        let problems = fixture.problems(text)
        #expect(problems.count == 2, "\(problems)")
        #expect(
            problems.allSatisfy { $0.contains("is owned by \(FileTrust.userName(ConfigurationAdviceTests.otherUser))") }
        )
        #expect(problems.first?.hasPrefix("test.yml:1:18: verify_identity: \(identity) is owned by") == true)
        #expect(problems.last?.hasPrefix("test.yml:10:24: databases.app.encryption.recipients_file:") == true)
    }

    @Test func aSecretKeyPastedIntoAnyFieldIsNeverRepeated() throws {
        let fixture = try ConfigurationFixture()
        let secret = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
        for text in [
            fixture.text(top: "verify_identity: \(secret)"),
            fixture.text().replacingOccurrences(of: ConfigurationFixture.recipient, with: secret),
            fixture.text(top: "\(secret.lowercased()): 1"),
        ] {
            let problems = fixture.problems(text)
            #expect(!problems.isEmpty)
            #expect(problems.allSatisfy { !$0.uppercased().contains("GFPYYSJZ") }, "\(problems)")
        }
        #expect(
            fixture.problems(fixture.text().replacingOccurrences(of: ConfigurationFixture.recipient, with: secret)) == [
                "test.yml:4:18: defaults.encryption.recipients: invalid recipient AGE-SECRET-KEY-…: this is a secret key (AGE-SECRET-KEY-…, not repeated here), which belongs off this host; use its public key: `age-keygen -y FILE`; a recipient is an age public key such as age1… (age-keygen -y KEYFILE prints it)"
            ])
    }
}
