import Age
import Foundation
import LiteSafePresentation
import TestSupport
import Testing

@testable import LiteSafeCore

/// Configuration problems whose fix depends on how LiteSafe is installed (`--config`, `install -d`,
/// the unit's `ReadWritePaths=`, `chown`): the core names the problem, `ErrorMessage` adds the fix.
@Suite struct ConfigurationAdviceTests {
    /// `nobody`: a real user other than root and other than whoever runs the tests.
    static let otherUser: uid_t = 65_534
    static var isRoot: Bool { geteuid() == 0 }

    let identity = X25519Identity.generate()

    /// What `body` threw, as an operator reads it.
    static func refusal(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return ErrorMessage.describe(error)
        }
    }

    @Test func reportsAMissingFile() throws {
        let fixture = try ConfigurationFixture()
        let path = fixture.root + "/absent.yml"
        #expect(
            fixture.problems(path: path) == [
                "\(path): configuration file not found; create it (config/litesafe.yml is a documented example), or name another with --config or LITESAFE_CONFIG"
            ])
    }

    @Test func refusesAMissingDestinationWithTheOtherProblems() throws {
        let fixture = try ConfigurationFixture()
        let text = fixture.text()
            .replacingOccurrences(of: "destination: \(fixture.destination)", with: "destination: \(fixture.root)/gone")
            .replacingOccurrences(of: fixture.databasePath, with: fixture.root + "/missing/app.db")
        #expect(
            fixture.problems(text) == [
                "test.yml:2:16: destination folder \(fixture.root)/gone does not exist, so every backup would fail: create it (install -d -m 0700 -o litesafe \(fixture.root)/gone) or correct the path",
                "test.yml:7:11: databases.app.path: folder \(fixture.root)/missing does not exist; create it or correct the path",
            ])
    }

    @Test("a read-only metrics folder (the unit's sandbox without ReadWritePaths=) says how to allow it")
    func warnsWhenTheMetricsFolderIsReadOnly() throws {
        let fixture = try ConfigurationFixture()
        let folder = fixture.root + "/textfile"
        try Mount.tmpfs(at: folder, size: "64k")
        defer { Mount.unmount(folder) }
        #expect(try fixture.warnings(fixture.text(top: "metrics_textfile: \(folder)/litesafe.prom")).isEmpty)
        try Mount.remountReadOnly(folder)
        #expect(
            try fixture.warnings(fixture.text(top: "metrics_textfile: \(folder)/litesafe.prom")) == [
                "test.yml:1:19: warning: metrics_textfile: cannot write \(folder)/litesafe.prom: Read-only file system — the file system is read-only here: remount it read-write or choose another folder; under the systemd unit, allow the folder with `systemctl edit litesafe` ([Service] ReadWritePaths=\(folder))"
            ])
    }

    @Test(.enabled(if: ConfigurationAdviceTests.isRoot, "only root can give a file to another user"))
    func filesOwnedByAnotherUserAreRefused() throws {
        let fixture = try ConfigurationFixture()
        let key = try fixture.write("key.txt", identity.identityFile(created: Date()), mode: 0o600)
        let recipients = try fixture.write("recipients.txt", "\(identity.recipient)\n", mode: 0o600)
        for file in [key, recipients] {
            #expect(chown(file, ConfigurationAdviceTests.otherUser, ConfigurationAdviceTests.otherUser) == 0)
        }
        let owner = FileTrust.userName(ConfigurationAdviceTests.otherUser)
        let me = FileTrust.userName(geteuid())
        #expect(
            Self.refusal { _ = try IdentityFile.read(key, warn: { _ in }) }
                == ("\(key) is owned by \(owner), not by root or \(me) (who runs LiteSafe): that user could replace the secret key; give it to root with `chown root: \(key)` after checking its contents")
        )
        #expect(
            Self.refusal { _ = try RecipientsFile.read(recipients) }
                == ("\(recipients) is owned by \(owner), not by root or \(me) (who runs LiteSafe): that user could add their own key and read future backups; give it to root with `chown root: \(recipients)` after checking its contents")
        )
    }

    private func text(_ fixture: ConfigurationFixture, encryption lines: String) -> String {
        fixture.text().replacingOccurrences(
            of: "  encryption:\n    recipients: [\(ConfigurationFixture.recipient)]\n", with: lines)
    }

    @Test func refusesTheExampleKeyInlineAndInAFile() throws {
        let fixture = try ConfigurationFixture()
        let reason =
            "holds the example key age1ql3z7hjy… from config/litesafe.yml, whose secret key nobody has: backups encrypted to it could never be restored; replace it with your own public key (`litesafe keygen -o key.txt` on another host prints it)"
        #expect(
            fixture.problems(
                text(fixture, encryption: "  encryption:\n    recipients: [\(RecipientsFile.exampleKey)]\n")) == [
                    "test.yml:4:18: defaults.encryption.recipients \(reason)"
                ])
        let file = try fixture.write("recipients.txt", "# replace it\n" + RecipientsFile.exampleKey + "\n")
        #expect(
            fixture.problems(text(fixture, encryption: "  encryption:\n    recipients_file: \(file)\n")) == [
                "test.yml:4:22: defaults.encryption.recipients_file: \(file) \(reason)"
            ])
    }

    @Test func theExampleKeyIsRefusedInARecipientsFile() throws {
        let fixture = try ConfigurationFixture()
        let file = try fixture.write("recipients.txt", "\(identity.recipient)\n\(RecipientsFile.exampleKey)\n")
        #expect(
            Self.refusal { _ = try RecipientsFile.read(file) }
                == ("\(file) holds the example key age1ql3z7hjy… from config/litesafe.yml, whose secret key nobody has: backups encrypted to it could never be restored; replace it with your own public key (`litesafe keygen -o key.txt` on another host prints it)")
        )
    }

    @Test("a configuration file the service cannot read: how make install makes it readable")
    func unreadableConfiguration() throws {
        let fixture = try ConfigurationFixture()
        let path = fixture.root + "/folder.yml"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let problems = fixture.problems(path: path)
        #expect(problems.count == 1, "\(problems)")
        #expect(
            problems.first?.hasSuffix(
                "; it must be readable by the user LiteSafe runs as (make install gives it to group litesafe: chgrp litesafe FILE; chmod 0640 FILE)"
            ) == true, "\(problems)")
        #expect(fixture.rejection(path: path)?.first?.description.contains("chgrp") == false)
    }
}

extension ConfigurationFixture {
    /// Every problem reported for `text`, as `check-config` prints it; records an issue if it loads.
    func problems(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        guard let problems = rejection(text) else {
            Issue.record("expected the configuration to be rejected", sourceLocation: sourceLocation)
            return []
        }
        return problems.map(ErrorMessage.describe)
    }

    /// Every problem reported for the file at `path`, as `check-config` prints it.
    func problems(path: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        guard let problems = rejection(path: path) else {
            Issue.record("expected the configuration to be rejected", sourceLocation: sourceLocation)
            return []
        }
        return problems.map(ErrorMessage.describe)
    }

    /// The warnings of a text that must load, as printed.
    func warnings(_ text: String) throws -> [String] {
        try load(text).warnings.map(ErrorMessage.describe)
    }

    /// The problems for the file at `path`, which must load (`accepted`): empty when it does.
    func problems(path: String, accepted: Bool) -> [String] {
        do {
            _ = try ConfigurationLoader.load(path: path)
            return []
        } catch {
            Issue.record("expected \(path) to load: \(error.problems.map(ErrorMessage.describe))")
            return error.problems.map(ErrorMessage.describe)
        }
    }
}
