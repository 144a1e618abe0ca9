import Foundation
import LiteSafeCore
import LiteSafePresentation
import TestSupport
import Testing

/// What `litesafe list` prints: manifests come from a store others may be able to write.
@Suite struct BackupListingTests {
    private func manifest(check: String) -> Manifest {
        var manifest = RetentionFixture.backup(RetentionFixture.date("2026-11-26T12:00:00Z")).manifest
        manifest.check = check
        return manifest
    }

    @Test func listTellsDumpsFromSnapshots() throws {
        let snapshot = RetentionFixture.backup(RetentionFixture.date("2026-11-26T12:00:00Z"))
        let dump = RetentionFixture.dump(RetentionFixture.backup(RetentionFixture.date("2026-11-26T13:00:00Z")))
        let table = BackupListing.table([dump, snapshot])
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("DATABASE  KIND      CREATED (UTC)"), "\(table)")
        #expect(lines[1].hasPrefix("app       dump      2026-11-26 13:00:00"), "\(table)")
        #expect(lines[2].hasPrefix("app       snapshot  2026-11-26 12:00:00"), "\(table)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(BackupListing.json([dump, snapshot]).utf8)) as? [[String: Any]])
        // Every object says its kind, a snapshot's too (its manifest leaves it out).
        #expect(json.map { $0["kind"] as? String } == ["dump", "snapshot"])
    }

    @Test func listEscapesControlCharactersFromManifests() {
        let hostile = "ok\u{1B}]0;owned\u{07}\u{202E}txt.exe\u{0}\n"
        let backup = StoredBackup(
            id: BackupID(database: "app", stem: "x"), manifest: manifest(check: hostile), dataLocation: "/b/app/x",
            manifestLocation: "/b/app/x.manifest.json")
        let table = BackupListing.table([backup])
        #expect(table.contains("ok\\u{1B}]0;owned\\u{7}\\u{202E}txt.exe\\u{0}\\u{A}"), "\(table)")
        #expect(!table.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(table)")
        #expect(table.split(separator: "\n").count == 2)
    }
}
