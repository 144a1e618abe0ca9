import Foundation
import TestSupport
import Testing
import Yams

@testable import LiteSafeCore

/// `config/litesafe.yml`, the documented example, stays valid and documents every key.
@Suite struct ConfigurationExampleTests {
    static let examplePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/litesafe.yml").path

    @Test func theExampleLoadsOnceItsPathsExist() throws {
        let fixture = try ConfigurationFixture()
        var text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        // The example's key is refused until replaced, and verify_identity is off until uncommented.
        #expect(text.contains(RecipientsFile.exampleKey))
        text = text.replacingOccurrences(of: RecipientsFile.exampleKey, with: ConfigurationFixture.otherRecipient)
        text = text.replacingOccurrences(of: "\n# verify_identity: ", with: "\nverify_identity: ")
        // The example names typical server locations; move each below the fixture.
        for folder in [
            "/var/lib/app", "/srv/analytics", "/var/backups/litesafe", "/etc/litesafe", "/var/lib/litesafe",
            "/var/lib/node_exporter/textfile_collector",
        ] {
            text = text.replacingOccurrences(of: folder + "/", with: fixture.root + folder + "/")
            text = text.replacingOccurrences(of: folder + "\n", with: fixture.root + folder + "\n")
        }
        try fixture.write("var/lib/app/app.db", "")
        try fixture.write("srv/analytics/events.db", "")
        try fixture.write("etc/litesafe/recipients.txt", ConfigurationFixture.recipient + "\n")
        try fixture.write("etc/litesafe/identity.txt", "AGE-SECRET-KEY-1\n", mode: 0o600)
        try fixture.write("var/lib/node_exporter/textfile_collector/.keep", "")
        try fixture.write("var/backups/litesafe/.keep", "")
        try fixture.write("etc/litesafe/s3.credentials", "[default]\n", mode: 0o600)
        try fixture.write("etc/litesafe/s3-ca.pem", "", mode: 0o644)

        let loaded = try ConfigurationLoader.load(text: text, source: "litesafe.yml")
        #expect(loaded.warnings.isEmpty)
        let configuration = loaded.configuration
        #expect(configuration.databases.map(\.name) == ["app", "analytics"])
        #expect(configuration.stateDirectory == fixture.root + "/var/lib/litesafe")
        #expect(configuration.databases[0].destination == fixture.root + "/var/backups/litesafe/app")
        #expect(configuration.databases[0].dumpSchedule == (try Schedule(parsing: "@daily")))
        #expect(configuration.databases[1].dumpSchedule == nil)
        #expect(
            configuration.databases[1].retention
                == RetentionPolicy(keepLast: 4, keepDaily: 7, keepWeekly: 4, keepWithin: .seconds(2 * 86_400)))
        guard case .recipients(let recipients) = configuration.databases[0].encryption else {
            Issue.record("the example encrypts")
            return
        }
        #expect(recipients.count == 2)
        #expect(configuration.verifyIdentity == fixture.root + "/etc/litesafe/identity.txt")
        #expect(configuration.stores.map(\.name) == ["local", "offsite"])
        #expect(configuration.databases[1].stores.map(\.name) == ["local", "offsite"])
        #expect(configuration.databases[1].retention(in: configuration.stores[1]) == RetentionPolicy(keepDaily: 30))
        #expect(
            configuration.stores[1].location
                == .s3(
                    S3Location(
                        bucket: "acme-backups", prefix: "db01/", region: "eu-central-1",
                        endpoint: "https://s3.eu-central-1.amazonaws.com",
                        credentialsFile: fixture.root + "/etc/litesafe/s3.credentials",
                        storageClass: "STANDARD_IA", objectLock: S3Location.ObjectLock(mode: .governance, days: 30),
                        caFile: fixture.root + "/etc/litesafe/s3-ca.pem")))
    }

    @Test func theExampleAsShippedRefusesItsPlaceholderKeyAndHoldsNoSecretKey() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        var problems: [String] = []
        do {
            _ = try ConfigurationLoader.load(text: text, source: "litesafe.yml")
            Issue.record("the example loaded with its placeholder key")
        } catch {
            problems = error.problems.map(\.description)
        }
        #expect(problems.contains { $0.contains("holds the example key age1ql3z7hjy…") }, "\(problems)")
        // verify_identity puts a secret key on the server: the example leaves it commented out.
        let top = try #require(try Yams.compose(yaml: text))
        #expect(top["verify_identity"] == nil)
    }

    @Test func theExampleDocumentsEveryKey() throws {
        // A key left commented out on purpose (`# verify_identity: …`) is documented too.
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
            .replacingOccurrences(of: "\n# verify_identity: ", with: "\nverify_identity: ")
        var keys = Set<String>()
        func collect(_ node: Node) {
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    if let key = key.string { keys.insert(key) }
                    // The top-level `stores:` maps names the operator chooses to stores.
                    if key.string == "stores", case .mapping(let stores) = value {
                        stores.values.forEach(collect)
                    } else {
                        collect(value)
                    }
                }
            case .sequence(let sequence): sequence.forEach(collect)
            default: break
            }
        }
        collect(try #require(try Yams.compose(yaml: text)))
        #expect(keys == Set(ConfigurationKey.allCases.map(\.rawValue)))
    }

    @Test func theExampleShowsTheBuiltInDefaults() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let defaults = try #require(try Yams.compose(yaml: text)?["defaults"])
        #expect(
            try Schedule(parsing: try #require(defaults["schedule"]?.string)) == DatabaseConfiguration.defaultSchedule)
        #expect(defaults["jitter"]?.string == "0s")
        #expect(defaults["dump_schedule"]?.string == "none")
        #expect(defaults["checkpoint"]?.string == DatabaseConfiguration.defaultCheckpoint.rawValue)
        #expect(defaults["compression"]?.string == DatabaseConfiguration.defaultCompression.description)
        #expect(defaults["integrity_check"]?.string == DatabaseConfiguration.defaultIntegrityCheck.rawValue)
        #expect(defaults["busy_timeout"]?.string == formatDuration(DatabaseConfiguration.defaultBusyTimeout))
        #expect(defaults["retention"]?["keep_last"]?.int == RetentionPolicy.default.keepLast)
        let top = try #require(try Yams.compose(yaml: text))
        #expect(top["time_zone"]?.string == "UTC")
        #expect(top["max_concurrent_backups"]?.int == Configuration.defaultMaxConcurrentBackups)
        #expect(top["backup_cpu_priority"]?.string == CPUPriority.idle.rawValue)
        #expect(top["state_directory"]?.string == Configuration.defaultStateDirectory)
    }
}
