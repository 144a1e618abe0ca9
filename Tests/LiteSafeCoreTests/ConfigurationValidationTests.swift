import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

/// Each kind of mistake, with the exact message and position an operator sees.
@Suite struct ConfigurationValidationTests {
    /// A line placed first in the file, at the top level.
    @Test(arguments: [
        ("max_concurrent_backups: two", "1:25: max_concurrent_backups: expected a whole number ≥ 1, got 'two'"),
        ("max_concurrent_backups: 0", "1:25: max_concurrent_backups: expected a whole number ≥ 1, got '0'"),
        ("max_concurrent_backups: [1]", "1:25: max_concurrent_backups: expected a whole number ≥ 1, got a list"),
        ("max_concurrent_backups:", "1:24: max_concurrent_backups: expected a whole number ≥ 1, got an empty value"),
        (
            "backup_cpu_priority: iddle",
            "1:22: backup_cpu_priority: expected idle, low or normal, got 'iddle' — did you mean 'idle'?"
        ),
        (
            "time_zone: Europe/Pariss",
            "1:12: time_zone: unknown time zone 'Europe/Pariss' — did you mean 'Europe/Paris'?"
        ),
        ("time_zone: utc", "1:12: time_zone: unknown time zone 'utc' — did you mean 'UTC'?"),
        (
            "time_zone: Mars/Olympus_Mons",
            "1:12: time_zone: unknown time zone 'Mars/Olympus_Mons'; use an IANA name such as UTC or Europe/Berlin (`timedatectl list-timezones` lists them)"
        ),
        (
            "state_directory: var/lib/litesafe",
            "1:18: state_directory: expected an absolute path (starting with /), got 'var/lib/litesafe'"
        ),
        (
            "metrics_textfile: litesafe.prom",
            "1:19: metrics_textfile: expected an absolute path (starting with /), got 'litesafe.prom'"
        ),
        (
            "verify_identity: identity.txt",
            "1:18: verify_identity: expected an absolute path (starting with /), got 'identity.txt'"
        ),
        (
            "verify_schedule: \"@fortnightly\"",
            "1:18: verify_schedule: invalid cron expression '@fortnightly': unknown macro; use @hourly, @daily, @weekly, @monthly or @yearly"
        ),
        ("timezone: UTC", "1:1: unknown key 'timezone' — did you mean 'time_zone'?"),
        (
            "schedule: every 1h",
            "1:1: 'schedule' cannot be set at the top level — it belongs under defaults or under each database"
        ),
        ("keep_last: 3", "1:1: 'keep_last' cannot be set at the top level — it belongs under retention"),
        (
            "backup_everything: yes",
            "1:1: unknown key 'backup_everything' — expected one of: defaults, time_zone, max_concurrent_backups, backup_cpu_priority, state_directory, metrics_textfile, verify_schedule, verify_identity, stores, databases"
        ),
    ])
    func topLevelMistakes(line: String, expected: String) throws {
        let fixture = try ConfigurationFixture()
        #expect(fixture.problems(fixture.text(top: line)) == ["test.yml:" + expected])
    }

    /// A line placed second in the file, the first under `defaults`.
    @Test(arguments: [
        ("  scheduel: every 1h", "2:3: unknown key 'scheduel' — did you mean 'schedule'?"),
        (
            "  schedule: every 5 minutes",
            "2:13: defaults.schedule: invalid schedule 'every 5 minutes': write the interval without spaces, e.g. every 1h30m"
        ),
        (
            "  schedule: \"61 3 * * *\"",
            "2:13: defaults.schedule: minute field '61' in cron expression '61 3 * * *': 61 is out of range, must be 0–59"
        ),
        (
            "  schedule: 5m",
            "2:13: defaults.schedule: invalid schedule '5m': to back up at an interval, write 'every 5m'"
        ),
        (
            "  jitter: 5 minutes",
            "2:11: defaults.jitter: invalid duration '5 minutes': remove the spaces, e.g. 1h30m (valid examples: 90s, 15m, 1h30m, 2d, 1w)"
        ),
        (
            "  busy_timeout: 1.5s",
            "2:17: defaults.busy_timeout: invalid duration '1.5s': fractions are not supported; combine units instead, e.g. 1h30m (valid examples: 90s, 15m, 1h30m, 2d, 1w)"
        ),
        (
            "  busy_timeout: [5s]",
            "2:17: defaults.busy_timeout: expected a duration such as 90s, 15m or 1h30m, got a list"
        ),
        (
            "  checkpoint: pasive",
            "2:15: defaults.checkpoint: expected none, passive, full, restart or truncate, got 'pasive' — did you mean 'passive'?"
        ),
        (
            "  checkpoint: lazy",
            "2:15: defaults.checkpoint: expected none, passive, full, restart or truncate, got 'lazy'"
        ),
        (
            "  compression: zstd:25",
            "2:16: defaults.compression: expected none, zstd or zstd:1 … zstd:19, got 'zstd:25'"
        ),
        ("  compression: gzip", "2:16: defaults.compression: expected none, zstd or zstd:1 … zstd:19, got 'gzip'"),
        ("  integrity_check: fast", "2:20: defaults.integrity_check: expected quick or full, got 'fast'"),
        (
            "  integrity_check: ful",
            "2:20: defaults.integrity_check: expected quick or full, got 'ful' — did you mean 'full'?"
        ),
        (
            "  retention: { keep_last: 0 }",
            "2:14: defaults.retention keeps nothing: set keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly or keep_yearly above 0, or keep_within, e.g. `retention: { keep_last: 3 }`"
        ),
        (
            "  retention: {}",
            "2:14: defaults.retention keeps nothing: set keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly or keep_yearly above 0, or keep_within, e.g. `retention: { keep_last: 3 }`"
        ),
        (
            "  retention: { keep_daily: seven }",
            "2:28: defaults.retention.keep_daily: expected a whole number ≥ 0, got 'seven'"
        ),
        (
            "  retention: { keep_daily: -1 }",
            "2:28: defaults.retention.keep_daily: expected a whole number ≥ 0, got '-1'"
        ),
        (
            "  retention: { keep_within: 0s }",
            "2:29: defaults.retention.keep_within: invalid duration '0s': it must be greater than zero (valid examples: 90s, 15m, 1h30m, 2d, 1w)"
        ),
        ("  retention: { keep_dayly: 7 }", "2:16: unknown key 'keep_dayly' — did you mean 'keep_daily'?"),
        (
            "  retention: forever",
            "2:14: defaults.retention: expected a mapping such as `{ keep_last: 3, keep_daily: 7 }`, got 'forever'"
        ),
        ("  time_zone: UTC", "2:3: 'time_zone' cannot be set under defaults — it belongs at the top level"),
        ("  name: app", "2:3: 'name' cannot be set under defaults — it belongs under each database"),
        ("  keep_last: 3", "2:3: 'keep_last' cannot be set under defaults — it belongs under retention"),
        ("  recipients: []", "2:3: 'recipients' cannot be set under defaults — it belongs under encryption"),
    ])
    func defaultsMistakes(line: String, expected: String) throws {
        let fixture = try ConfigurationFixture()
        #expect(fixture.problems(fixture.text(defaults: line)) == ["test.yml:" + expected])
    }

    @Test func dumpScheduleIsCheckedInheritedAndCanBeTurnedOff() throws {
        let fixture = try ConfigurationFixture()
        let problems = fixture.problems(fixture.text(defaults: "  dump_schedule: every day"))
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("test.yml:2:18: defaults.dump_schedule: ") == true, "\(problems)")
        #expect(problems.first?.contains("invalid duration 'day'") == true, "\(problems)")
        let inherited = try fixture.load(fixture.text(defaults: "  dump_schedule: \"@daily\""))
        #expect(inherited.configuration.databases[0].dumpSchedule == (try Schedule(parsing: "@daily")))
        let off = try fixture.load(
            fixture.text(defaults: "  dump_schedule: \"@daily\"") + "    dump_schedule: none\n")
        #expect(off.configuration.databases[0].dumpSchedule == nil)
        #expect(try fixture.load(fixture.text()).configuration.databases[0].dumpSchedule == nil)
    }

    @Test("format: pages is read, inherited, and refused where a page store cannot work")
    func pagesFormat() throws {
        let fixture = try ConfigurationFixture()
        #expect(try fixture.load(fixture.text()).configuration.databases[0].format == .file)
        let pages = try fixture.load(fixture.text(defaults: "  format: pages"))
        #expect(pages.configuration.databases[0].format == .pages)
        #expect(
            fixture.problems(fixture.text(defaults: "  format: page")) == [
                "test.yml:2:11: defaults.format: expected file or pages, got 'page' — did you mean 'pages'?"
            ])
        let none = fixture.problems(fixture.text(defaults: "  format: pages\n  compression: none"))
        #expect(none.count == 1 && none[0].contains("`format: pages` compresses its packs with zstd"), "\(none)")
    }

    @Test func relativeDestination() throws {
        let fixture = try ConfigurationFixture()
        let text = fixture.text().replacingOccurrences(
            of: "destination: \(fixture.destination)", with: "destination: backups")
        #expect(
            fixture.problems(text) == [
                "test.yml:2:16: defaults.destination: expected an absolute path (starting with /), got 'backups'"
            ])
    }

    @Test func reportsYAMLSyntaxErrorsWithTheirPosition() throws {
        let fixture = try ConfigurationFixture()
        #expect(
            fixture.problems("defaults:\n  schedule: every 1h\n jitter: 0s\n") == [
                "test.yml:3:2: invalid YAML: did not find expected key (while parsing a block mapping at line 1, column 1)"
            ])
        #expect(
            fixture.problems("databases: [app\n") == [
                "test.yml:2:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 12)"
            ])
    }

    @Test func reportsRepeatedKeys() throws {
        let fixture = try ConfigurationFixture()
        #expect(
            fixture.problems(fixture.text(top: "time_zone: UTC\ntime_zone: Europe/Berlin")) == [
                "test.yml:1:1: key 'time_zone' appears more than once in the same mapping; keep only one"
            ])
    }

    @Test func requiresAMappingAtTheTopLevel() throws {
        let fixture = try ConfigurationFixture()
        #expect(
            fixture.problems("- app\n") == ["test.yml:1:1: expected a mapping of settings at the top level, got a list"]
        )
    }

    @Test func requiresDatabases() throws {
        let fixture = try ConfigurationFixture()
        let message = "no databases configured: add a `databases:` list with at least one entry (name and path)"
        #expect(fixture.problems("time_zone: UTC\n") == ["test.yml:1:1: " + message])
        #expect(fixture.problems("time_zone: UTC\ndatabases: []\n") == ["test.yml:2:12: " + message])
        #expect(
            fixture.problems("databases: app\n") == [
                "test.yml:1:12: databases: expected a list of databases (`- name: app` with `path: /var/lib/app/app.db`), got 'app'"
            ])
        #expect(
            fixture.problems("databases:\n  - app\n") == [
                "test.yml:2:5: databases[0]: expected a mapping with name and path, got 'app'"
            ])
    }

    @Test func requiresANameAndAPath() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("data/other.db", "")
        let text = fixture.text() + "  - path: \(fixture.root)/data/other.db\n  - name: other\n"
        #expect(
            fixture.problems(text) == [
                "test.yml:8:5: database entry has no name: add `name:` (letters, digits, '.', '_' and '-'; it names the backup folder)",
                "test.yml:9:5: database 'other' has no path: add `path:` with the absolute path of its SQLite file",
            ])
    }

    @Test(arguments: [
        (
            "my app",
            "database name 'my app' may only contain letters, digits, '.', '_' and '-' (it names the backup folder)"
        ),
        (
            "app/db",
            "database name 'app/db' may only contain letters, digits, '.', '_' and '-' (it names the backup folder)"
        ),
        (
            "appé",
            "database name 'appé' may only contain letters, digits, '.', '_' and '-' (it names the backup folder)"
        ),
        ("\"..\"", "database name '..' cannot name a backup folder; choose another name"),
        ("\".\"", "database name '.' cannot name a backup folder; choose another name"),
        ("\"\"", "database name '' may only contain letters, digits, '.', '_' and '-' (it names the backup folder)"),
        (
            String(repeating: "a", count: 129),
            "database name 'aaaaaaaaaaaaaaaaaaaa…' is longer than 128 bytes; choose a shorter name"
        ),
    ])
    func rejectsUnsafeNames(name: String, expected: String) throws {
        let fixture = try ConfigurationFixture()
        let text = fixture.text().replacingOccurrences(of: "name: app", with: "name: \(name)")
        #expect(fixture.problems(text) == ["test.yml:6:11: " + expected])
    }

    @Test func rejectsDuplicateNamesAndPaths() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("data/other.db", "")
        let text =
            fixture.text() + """
                  - name: app
                    path: \(fixture.root)/data/other.db
                  - name: copy
                    path: \(fixture.root)/data/../data/app.db

                """
        #expect(
            fixture.problems(text) == [
                "test.yml:8:11: duplicate database name 'app' (first used on line 6): each database needs its own name, which names its backup folder",
                "test.yml:11:11: databases.copy.path: \(fixture.databasePath) is already configured as database 'app'; list each database once",
            ])
    }

    @Test func relativeDatabasePath() throws {
        let fixture = try ConfigurationFixture()
        let text = fixture.text().replacingOccurrences(of: "path: \(fixture.databasePath)", with: "path: app.db")
        #expect(
            fixture.problems(text) == [
                "test.yml:7:11: databases.app.path: expected an absolute path (starting with /), got 'app.db'"
            ])
    }

    @Test func unknownKeysUnderADatabase() throws {
        let fixture = try ConfigurationFixture()
        let text = fixture.text() + "    shedule: every 1h\n    verify_schedule: \"@daily\"\n"
        #expect(
            fixture.problems(text) == [
                "test.yml:8:5: unknown key 'shedule' — did you mean 'schedule'?",
                "test.yml:9:5: 'verify_schedule' cannot be set under each database — it belongs at the top level",
            ])
    }

    @Test func aMisspeltKeyIsNotAlsoReportedAsMissing() throws {
        let fixture = try ConfigurationFixture()
        let text = fixture.text()
            .replacingOccurrences(of: "  destination:", with: "  destinaton:")
            .replacingOccurrences(of: "  encryption:", with: "  encrypton:")
            .replacingOccurrences(of: "    path:", with: "    pth:")
        #expect(
            fixture.problems(text) == [
                "test.yml:2:3: unknown key 'destinaton' — did you mean 'destination'?",
                "test.yml:3:3: unknown key 'encrypton' — did you mean 'encryption'?",
                "test.yml:7:5: unknown key 'pth' — did you mean 'path'?",
            ])
        #expect(
            fixture.problems("databse:\n  - name: app\n") == [
                "test.yml:1:1: unknown key 'databse' — did you mean 'databases'?"
            ])
    }

    @Test func reportsEveryProblemAtOnceInFileOrder() throws {
        let fixture = try ConfigurationFixture()
        let text = """
            defaults:
              scheduel: every 1h
              compression: zstd:99
              destination: backups
            time_zone: Nowhere/City
            max_concurrent_backups: two
            databases:
              - name: app
                path: \(fixture.databasePath)
                retention: { keep_last: 0 }
              - name: app
                path: relative.db
              - name: "bad name"
                path: \(fixture.root)/missing/db.sqlite
                encryption: none
            """
        #expect(
            fixture.problems(text) == [
                "test.yml:2:3: unknown key 'scheduel' — did you mean 'schedule'?",
                "test.yml:3:16: defaults.compression: expected none, zstd or zstd:1 … zstd:19, got 'zstd:99'",
                "test.yml:4:16: defaults.destination: expected an absolute path (starting with /), got 'backups'",
                "test.yml:5:12: time_zone: unknown time zone 'Nowhere/City'; use an IANA name such as UTC or Europe/Berlin (`timedatectl list-timezones` lists them)",
                "test.yml:6:25: max_concurrent_backups: expected a whole number ≥ 1, got 'two'",
                "test.yml:8:5: no encryption configured for database 'app': add encryption.recipients or encryption.recipients_file, or `encryption: none` to store plaintext deliberately",
                "test.yml:10:16: databases.app.retention keeps nothing: set keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly or keep_yearly above 0, or keep_within, e.g. `retention: { keep_last: 3 }`",
                "test.yml:11:5: no encryption configured for database 2 in the list: add encryption.recipients or encryption.recipients_file, or `encryption: none` to store plaintext deliberately",
                "test.yml:11:11: duplicate database name 'app' (first used on line 8): each database needs its own name, which names its backup folder",
                "test.yml:12:11: databases[1].path: expected an absolute path (starting with /), got 'relative.db'",
                "test.yml:13:11: database name 'bad name' may only contain letters, digits, '.', '_' and '-' (it names the backup folder)",
                "test.yml:14:11: databases[2].path: folder \(fixture.root)/missing does not exist; create it or correct the path",
            ])
    }
}
