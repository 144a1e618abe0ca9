import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

/// Manifests come from a store others may be able to write: bounded, validated, and printed safely.
@Suite struct ManifestTests {
    private func manifest(database: String = "app", check: String = "quick_check ok") -> Manifest {
        RetentionFixture.backup(RetentionFixture.date("2026-11-26T12:00:00Z")).manifest.with {
            $0.database = database
            $0.check = check
        }
    }

    @Test func aManifestLargerThanTheLimitIsRefusedUnparsed() throws {
        var bytes = try manifest().encoded()
        #expect(try Manifest.decode(bytes, path: "m.json") == manifest())
        // Padding inside the JSON keeps it valid: only its size is wrong.
        bytes.insert(contentsOf: [UInt8](repeating: 0x20, count: Manifest.maximumSize), at: 1)
        #expect(
            throws: BackupError.unreadableManifest(
                path: "m.json", reason: "it is \(bytes.count) bytes, more than the 1048576 a manifest may have")
        ) { try Manifest.decode(bytes, path: "m.json") }
    }

    @Test(arguments: ["../../etc", "app\u{1B}[2J", "", "a b"])
    func aManifestWhoseDatabaseIsNotAValidNameIsRefused(name: String) throws {
        let bytes = try manifest(database: name).encoded()
        do {
            _ = try Manifest.decode(bytes, path: "m.json")
            Issue.record("a manifest for database '\(name)' was accepted")
        } catch {
            #expect("\(error)".contains("is not a valid name"), "\(error)")
            #expect(!"\(error)".contains("\u{1B}"), "\(error)")
        }
    }

    @Test func aSnapshotsManifestHasNoKindAndOldManifestsReadAsSnapshots() throws {
        let snapshot = manifest()
        let text = String(decoding: try snapshot.encoded(), as: UTF8.self)
        #expect(!text.contains("\"kind\""), "a snapshot's manifest is as it was before dumps")
        let decoded = try Manifest.decode(try snapshot.encoded(), path: "m.json")
        #expect(decoded.kind == nil)
        #expect(decoded.backupKind == .snapshot)
    }

    @Test func aDumpsManifestSaysSoAndRoundTrips() throws {
        let dump = RetentionFixture.backup(RetentionFixture.date("2026-11-26T12:00:00Z"), kind: .dump).manifest
        let text = String(decoding: try dump.encoded(), as: UTF8.self)
        #expect(text.contains("\"kind\" : \"dump\""), "\(text)")
        let decoded = try Manifest.decode(try dump.encoded(), path: "m.json")
        #expect(decoded == dump)
        #expect(decoded.isDump)
    }

    @Test(
        "a captured snapshot's manifest (format 2) hashes page 1 and the rest; each format has its hashes and only those"
    )
    func databaseHashFormats() throws {
        let whole = manifest()
        let split = whole.with {
            $0.format = Manifest.splitHashFormat
            $0.plaintextSHA256 = nil
            $0.firstPageSHA256 = String(repeating: "a", count: 64)
            $0.afterFirstPageSHA256 = String(repeating: "b", count: 64)
        }
        let text = String(decoding: try split.encoded(), as: UTF8.self)
        #expect(text.contains("\"first_page_sha256\"") && text.contains("\"after_first_page_sha256\""), "\(text)")
        #expect(!text.contains("plaintext_sha256"), "\(text)")
        #expect(try Manifest.decode(try split.encoded(), path: "m.json") == split)
        #expect(try Manifest.decode(try whole.encoded(), path: "m.json") == whole)
        let wrong: [Manifest] = [
            split.with { $0.format = Manifest.currentFormat },  // split hashes under format 1
            whole.with { $0.format = Manifest.splitHashFormat },  // a whole hash under format 2
            split.with { $0.afterFirstPageSHA256 = nil },  // half a split
            split.with { $0.plaintextSHA256 = String(repeating: "c", count: 64) },  // both kinds
            whole.with { $0.plaintextSHA256 = nil },  // none
            whole.with { $0.format = 3 },  // a format from the future
        ]
        for manifest in wrong {
            #expect(throws: BackupError.self, "\(manifest)") {
                try Manifest.decode(try manifest.encoded(), path: "m.json")
            }
        }
    }

    @Test func aKindThatDisagreesWithTheFileNameOrIsUnknownIsRefused() throws {
        let dump = RetentionFixture.backup(RetentionFixture.date("2026-11-26T12:00:00Z"), kind: .dump).manifest
        // A dump's .sql file without "kind": a restore would not pick it, retention would count it wrong.
        let unmarked = dump.with { $0.kind = nil }
        #expect(throws: BackupError.self) { try Manifest.decode(try unmarked.encoded(), path: "m.json") }
        let mislabelled = manifest().with { $0.kind = .dump }
        #expect(throws: BackupError.self) { try Manifest.decode(try mislabelled.encoded(), path: "m.json") }
        let future = String(decoding: try dump.encoded(), as: UTF8.self)
            .replacingOccurrences(of: "\"kind\" : \"dump\"", with: "\"kind\" : \"wal-segment\"")
        #expect(throws: BackupError.self) { try Manifest.decode(Array(future.utf8), path: "m.json") }
    }

    @Test(arguments: [
        ("plain text, émigré, 日本", "plain text, émigré, 日本"),
        ("a\u{1B}[31mred", "a\\u{1B}[31mred"),
        ("tab\there", "tab\\u{9}here"),
        ("\u{9B}31m", "\\u{9B}31m"),
        ("abc\u{202E}fdp.exe", "abc\\u{202E}fdp.exe"),
        ("zero\u{200B}width", "zero\\u{200B}width"),
    ])
    func controlCharactersAreEscaped(text: String, expected: String) {
        #expect(text.escapingControlCharacters == expected)
    }
}

extension Manifest {
    fileprivate func with(_ change: (inout Manifest) -> Void) -> Manifest {
        var copy = self
        change(&copy)
        return copy
    }
}
