import Age
import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

@Suite struct ConfigurationLoaderTests {
    @Test func loadsAGoodConfigurationIntoTheModel() throws {
        let fixture = try ConfigurationFixture()
        let text = """
            defaults:
              schedule: "0 3 * * *"
              jitter: 30s
              destination: \(fixture.destination)/
              checkpoint: truncate
              compression: zstd:9
              integrity_check: full
              busy_timeout: 10s
              encryption:
                recipients: [\(ConfigurationFixture.recipient), \(ConfigurationFixture.otherRecipient)]
              retention: { keep_last: 2, keep_daily: 7, keep_within: 1d }
            time_zone: Europe/Berlin
            max_concurrent_backups: 2
            backup_cpu_priority: low
            state_directory: /var/lib/litesafe-test/
            metrics_textfile: \(fixture.root)/metrics.prom
            verify_schedule: "@weekly"
            databases:
              - name: app
                path: \(fixture.root)/data/./app.db
            """
        let loaded = try fixture.load(text)
        let recipients = try [ConfigurationFixture.recipient, ConfigurationFixture.otherRecipient].map {
            try X25519Recipient(parsing: $0)
        }
        var expected = Configuration(
            timeZone: try #require(TimeZone(identifier: "Europe/Berlin")),
            maxConcurrentBackups: 2,
            stateDirectory: "/var/lib/litesafe-test",
            metricsTextfile: fixture.root + "/metrics.prom",
            verifySchedule: try Schedule(parsing: "@weekly"),
            verifyIdentity: nil,
            databases: [
                DatabaseConfiguration(
                    name: "app", path: fixture.databasePath, store: .directory(fixture.destination),
                    schedule: try Schedule(parsing: "0 3 * * *"), jitter: .seconds(30), checkpoint: .truncate,
                    compression: .zstd(level: 9), integrityCheck: .full, busyTimeout: .seconds(10),
                    encryption: .recipients(recipients),
                    retention: RetentionPolicy(keepLast: 2, keepDaily: 7, keepWithin: .seconds(86_400)))
            ],
            sourceFile: "test.yml")
        expected.backupCPUPriority = .low
        #expect(loaded.configuration == expected)
        #expect(
            loaded.configuration.backupJob(for: loaded.configuration.databases[0], stores: StandardStoreFactory())
                .cpuPriority == .low)
        #expect(loaded.warnings.isEmpty)
        #expect(loaded.configuration.databases[0].destination == fixture.destination + "/app")
        #expect(loaded.configuration.stagingDirectory == "/var/lib/litesafe-test/staging")
    }

    @Test func builtInDefaultsApplyWhenNothingIsSet() throws {
        let fixture = try ConfigurationFixture()
        let configuration = try fixture.load(fixture.text()).configuration
        #expect(configuration.timeZone.secondsFromGMT(for: Date()) == 0)
        #expect(configuration.maxConcurrentBackups == 1)
        #expect(configuration.stateDirectory == "/var/lib/litesafe")
        #expect(configuration.metricsTextfile == nil)
        #expect(configuration.verifySchedule == nil)
        #expect(configuration.verifyIdentity == nil)
        let database = try #require(configuration.database(named: "app"))
        #expect(database.schedule == .every(.seconds(3_600)))
        #expect(database.jitter == .zero)
        #expect(database.checkpoint == .passive)
        #expect(database.compression == .zstd(level: 3))
        #expect(database.integrityCheck == .quick)
        #expect(database.busyTimeout == .seconds(5))
        #expect(database.retention == RetentionPolicy(keepLast: 3))
    }

    @Test func databasesInheritDefaultsAndOverrideKeysAsAWhole() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("data/other.db", "")
        try fixture.write("elsewhere/.keep", "")
        let recipients = try fixture.write("recipients.txt", ConfigurationFixture.otherRecipient + "\n")
        let text = """
            defaults:
              schedule: every 15m
              compression: none
              destination: \(fixture.destination)
              encryption:
                recipients: [\(ConfigurationFixture.recipient)]
              retention: { keep_daily: 7, keep_weekly: 4 }
            databases:
              - name: app
                path: \(fixture.databasePath)
              - name: other
                path: \(fixture.root)/data/other.db
                schedule: "@daily"
                destination: \(fixture.root)/elsewhere
                encryption:
                  recipients_file: \(recipients)
                retention: { keep_last: 10 }
            """
        let databases = try fixture.load(text).configuration.databases
        #expect(databases.map(\.name) == ["app", "other"])
        let (app, other) = (databases[0], databases[1])
        #expect(app.schedule == .every(.seconds(900)))
        #expect(app.compression == Compression.none)
        #expect(app.destination == fixture.destination + "/app")
        #expect(app.retention == RetentionPolicy(keepDaily: 7, keepWeekly: 4))
        guard case .recipients(let appRecipients) = app.encryption else {
            Issue.record("app should be encrypted")
            return
        }
        #expect(appRecipients.map(\.description) == [ConfigurationFixture.recipient])

        #expect(other.schedule == (try Schedule(parsing: "@daily")))
        #expect(other.compression == Compression.none)
        #expect(other.store == .directory(fixture.root + "/elsewhere"))
        #expect(other.destination == fixture.root + "/elsewhere/other")
        // A database's own retention and encryption replace the defaults instead of merging.
        #expect(other.retention == RetentionPolicy(keepLast: 10))
        guard case .recipients(let otherRecipients) = other.encryption else {
            Issue.record("other should be encrypted")
            return
        }
        #expect(otherRecipients.map(\.description) == [ConfigurationFixture.otherRecipient])
    }

    @Test func aReloadSeesWhichDatabaseChanged() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("data/other.db", "")
        func text(otherSchedule: String) -> String {
            fixture.text() + """
                  - name: other
                    path: \(fixture.root)/data/other.db
                    schedule: \(otherSchedule)

                """
        }
        let before = try fixture.load(text(otherSchedule: "every 1h")).configuration
        let same = try fixture.load(text(otherSchedule: "every 60m")).configuration
        let after = try fixture.load(text(otherSchedule: "every 2h")).configuration
        #expect(before == same)
        #expect(before.databases[0] == after.databases[0])
        #expect(before.databases[1] != after.databases[1])
    }

    @Test(
        arguments: [
            (flag: "/etc/flag.yml", environment: ["LITESAFE_CONFIG": "/etc/env.yml"], expected: "/etc/flag.yml"),
            (flag: nil, environment: ["LITESAFE_CONFIG": "/etc/env.yml"], expected: "/etc/env.yml"),
            (flag: nil, environment: [:], expected: "/etc/litesafe/litesafe.yml"),
            (flag: nil, environment: ["LITESAFE_CONFIG": ""], expected: "/etc/litesafe/litesafe.yml"),
            (flag: "relative.yml", environment: [:], expected: "relative.yml"),
        ] as [(flag: String?, environment: [String: String], expected: String)])
    func resolvesTheConfigurationPath(flag: String?, environment: [String: String], expected: String) {
        #expect(ConfigurationLoader.resolvePath(flag: flag, environment: environment) == expected)
    }

    @Test func loadsAFileFromDisk() throws {
        let fixture = try ConfigurationFixture()
        let path = try fixture.write("litesafe.yml", fixture.text(), mode: 0o640)
        let loaded = try ConfigurationLoader.load(path: path)
        #expect(loaded.configuration.sourceFile == path)
        #expect(loaded.configuration.databases.map(\.name) == ["app"])
    }

    @Test func reportsAnEmptyFile() throws {
        let fixture = try ConfigurationFixture()
        #expect(
            fixture.problems("# nothing here\n") == [
                "test.yml: the file is empty: add at least a `databases:` list (config/litesafe.yml is a documented example)"
            ])
    }
}

extension ConfigurationFixture {
    /// Every problem reported for `text`, as the core words it; records an issue if the text loads.
    func problems(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        guard let problems = rejection(text) else {
            Issue.record("expected the configuration to be rejected", sourceLocation: sourceLocation)
            return []
        }
        return problems.map(\.description)
    }

    /// Every problem reported for the file at `path`, as the core words it.
    func problems(path: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        guard let problems = rejection(path: path) else {
            Issue.record("expected the configuration to be rejected", sourceLocation: sourceLocation)
            return []
        }
        return problems.map(\.description)
    }

    /// The warnings of a text that must load.
    func warnings(_ text: String) throws -> [String] {
        try load(text).warnings.map(\.description)
    }
}
