import Foundation
import LiteSafeCore
import Testing

@Suite("Backup names and times")
struct BackupNameTests {
    @Test("only names LiteSafe makes count as its data files")
    func dataFileNames() {
        for name in [
            "app-20261126T120003.123456Z.sqlite.zst.age", "app-20261126T120003.123456Z_2.sqlite",
            "app-20261126T120003.123456Z.sqlite.age", "app-20261126T120003.123456Z.sqlite.zst",
        ] {
            #expect(BackupName.isDataFile(name, of: "app"), "\(name)")
        }
        for name in [
            "app-notes.sqlite.bak", "app-20261126T120003.123456Z.sqlite.zst.age.orig", "app-old.sqlite",
            "app-20261126T120003.123456Z_.sqlite", "app-20261126T120003.123456Z.manifest.json",
            "crm-20261126T120003.123456Z.sqlite", "app-2026112XT120003.123456Z.sqlite",
        ] {
            #expect(!BackupName.isDataFile(name, of: "app"), "\(name)")
        }
    }

    @Test("names sort chronologically, collisions after the original")
    func ordering() {
        let t = Date(timeIntervalSince1970: 1_795_000_000.25)
        let names = [
            BackupName.stem(database: "app", date: t) + ".sqlite.zst.age",
            BackupName.stem(database: "app", date: t, collision: 1) + ".sqlite.zst.age",
            BackupName.stem(database: "app", date: t.addingTimeInterval(0.000_002)) + ".sqlite.zst.age",
            BackupName.stem(database: "app", date: t.addingTimeInterval(1)) + ".sqlite.zst.age",
        ]
        #expect(names == names.sorted())
        #expect(names[0] == "app-20261118T110640.250000Z.sqlite.zst.age")
    }

    @Test("times round-trip to the microsecond")
    func roundTrip() throws {
        for seconds in [0.0, 1_795_000_000.123456, 1_795_000_000.999999, 4_102_444_799.5] {
            let date = BackupName.truncatedToMicroseconds(Date(timeIntervalSince1970: seconds))
            #expect(BackupName.parseISO8601(BackupName.iso8601(date)) == date)
        }
    }

    @Test(
        "ISO 8601 forms an operator types",
        arguments: [
            ("2026-11-26T12:00:00Z", 1_795_694_400.0), ("2026-11-26 12:00:00Z", 1_795_694_400.0),
            ("2026-11-26T13:00:00+01:00", 1_795_694_400.0), ("2026-11-26", 1_795_651_200.0),
            ("2026-11-26T12:00:00.5Z", 1_795_694_400.5), ("2026-11-26T12:00:00.1234567Z", 1_795_694_400.123456),
        ])
    func parses(text: String, expected: Double) throws {
        let date = try #require(BackupName.parseISO8601(text))
        #expect(abs(date.timeIntervalSince1970 - expected) < 0.000_001)
    }

    @Test(
        "nonsense is rejected",
        arguments: ["", "yesterday", "2026-13-01", "2026-02-30", "2026-11-26T25:00:00Z", "2026-11-26T12:00:00"])
    func rejects(text: String) {
        #expect(BackupName.parseISO8601(text) == nil)
    }
}
