import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

/// Checks against real folders and files: sources, destinations, and who may edit what.
@Suite struct ConfigurationFileSystemTests {
    @Test func refusesAMissingSourceFolder() throws {
        let fixture = try ConfigurationFixture()
        let text = fixture.text().replacingOccurrences(of: fixture.databasePath, with: fixture.root + "/gone/app.db")
        #expect(
            fixture.problems(text) == [
                "test.yml:7:11: databases.app.path: folder \(fixture.root)/gone does not exist; create it or correct the path"
            ])
    }

    @Test func onlyWarnsAboutAMissingDatabaseFile() throws {
        let fixture = try ConfigurationFixture()
        try FileManager.default.removeItem(atPath: fixture.databasePath)
        #expect(
            try fixture.warnings(fixture.text()) == [
                "test.yml:7:11: warning: databases.app.path: database file \(fixture.databasePath) does not exist yet; its backups will fail until it does"
            ])
    }

    @Test func refusesAFolderAsTheDatabase() throws {
        let fixture = try ConfigurationFixture()
        try FileManager.default.createDirectory(atPath: fixture.root + "/data/app", withIntermediateDirectories: false)
        let text = fixture.text().replacingOccurrences(of: fixture.databasePath, with: fixture.root + "/data/app")
        #expect(
            fixture.problems(text) == [
                "test.yml:7:11: databases.app.path: \(fixture.root)/data/app is a folder, not an SQLite database file"
            ])
    }

    @Test(arguments: ["data", "data/", "data/backups", "data/../data/deeper/still"])
    func refusesADestinationInsideTheSourceFolder(destination: String) throws {
        let fixture = try ConfigurationFixture()
        let text = fixture.text().replacingOccurrences(
            of: "destination: \(fixture.destination)", with: "destination: \(fixture.root)/\(destination)")
        let folder = ConfigurationPath.normalized(fixture.root + "/" + destination)! + "/app"
        #expect(
            fixture.problems(text) == [
                "test.yml:2:16: backups of database 'app' would go to \(folder), inside its own folder \(fixture.root)/data: choose a destination outside the database's folder"
            ])
    }

    @Test func seesThroughSymlinksToTheSourceFolder() throws {
        let fixture = try ConfigurationFixture()
        try FileManager.default.createSymbolicLink(
            atPath: fixture.root + "/link", withDestinationPath: fixture.root + "/data")
        let text = fixture.text().replacingOccurrences(
            of: "destination: \(fixture.destination)", with: "destination: \(fixture.root)/link/backups")
        #expect(fixture.problems(text).count == 1)
        // A destination beside the source folder, not inside it, is fine.
        try FileManager.default.createDirectory(
            atPath: fixture.root + "/data-backups", withIntermediateDirectories: false)
        let sibling = fixture.text().replacingOccurrences(
            of: "destination: \(fixture.destination)", with: "destination: \(fixture.root)/data-backups")
        #expect(try fixture.load(sibling).configuration.databases[0].destination == fixture.root + "/data-backups/app")
    }

    @Test(arguments: [0o664, 0o646, 0o620, 0o602] as [mode_t])
    func refusesAConfigurationFileOthersCanWrite(mode: mode_t) throws {
        let fixture = try ConfigurationFixture()
        let path = try fixture.write("litesafe.yml", fixture.text(), mode: mode)
        let octal = "0" + String(mode, radix: 8)
        #expect(
            fixture.problems(path: path) == [
                "\(path): the configuration file is writable by group or others (mode \(octal)): anyone who can write it could redirect backups or turn encryption off; run `chmod go-w \(path)`"
            ])
    }

    @Test(arguments: [0o600, 0o640, 0o644, 0o400] as [mode_t])
    func acceptsAConfigurationFileOnlyItsOwnerCanWrite(mode: mode_t) throws {
        let fixture = try ConfigurationFixture()
        let path = try fixture.write("litesafe.yml", fixture.text(), mode: mode)
        #expect(try ConfigurationLoader.load(path: path).configuration.databases.count == 1)
    }

    @Test func reportsPermissionsTogetherWithTheFileContents() throws {
        let fixture = try ConfigurationFixture()
        let path = try fixture.write("litesafe.yml", fixture.text(top: "max_concurrent_backups: 0"), mode: 0o666)
        #expect(
            fixture.problems(path: path) == [
                "\(path): the configuration file is writable by group or others (mode 0666): anyone who can write it could redirect backups or turn encryption off; run `chmod go-w \(path)`",
                "\(path):1:25: max_concurrent_backups: expected a whole number ≥ 1, got '0'",
            ])
    }

    @Test func checksTheVerifyIdentity() throws {
        let fixture = try ConfigurationFixture()
        let identity = try fixture.write("identity.txt", "AGE-SECRET-KEY-1\n", mode: 0o640)
        #expect(
            try fixture.load(fixture.text(top: "verify_identity: \(identity)")).configuration.verifyIdentity == identity
        )

        chmod(identity, 0o644)
        #expect(
            fixture.problems(fixture.text(top: "verify_identity: \(identity)")) == [
                "test.yml:1:18: verify_identity: \(identity) holds a secret key but is open to others or writable by its group (mode 0644); run `chmod o-rwx,g-w \(identity)`"
            ])
        let missing = fixture.root + "/nobody.txt"
        #expect(
            fixture.problems(fixture.text(top: "verify_identity: \(missing)")) == [
                "test.yml:1:18: verify_identity: \(missing) does not exist; create it with `age-keygen -o \(missing)` on a host allowed to hold the secret key, or remove verify_identity"
            ])
    }

    @Test func warnsWhenTheMetricsFolderIsMissing() throws {
        let fixture = try ConfigurationFixture()
        let file = fixture.root + "/node_exporter/litesafe.prom"
        #expect(
            try fixture.warnings(fixture.text(top: "metrics_textfile: \(file)")) == [
                "test.yml:1:19: warning: metrics_textfile: folder \(fixture.root)/node_exporter does not exist; no metrics are written until it does"
            ])
    }
}
