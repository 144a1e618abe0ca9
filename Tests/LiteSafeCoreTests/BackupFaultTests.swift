import Age
import Foundation
import Glibc
import LiteSafeCore
import SQLite
import TestSupport
import Testing

@Suite("Backup faults: each fails clearly and loses nothing")
struct BackupFaultTests {
    @Test("a missing source is an error and nothing is created")
    func missingSource() throws {
        let h = try Harness().prepare()
        #expect(throws: BackupError.sourceMissing(path: h.source)) { try h.backUp() }
        #expect(!FileManager.default.fileExists(atPath: h.source))
        #expect(try h.filesLeft().isEmpty)
    }

    @Test("a file that is not a database is refused")
    func notADatabase() throws {
        let h = try Harness().prepare()
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: h.source))
        #expect(throws: BackupError.sourceNotADatabase(path: h.source)) { try h.backUp() }
        #expect(try h.filesLeft().isEmpty)
    }

    @Test("a source path that is a symlink is refused")
    func symlinkSource() throws {
        let h = try Harness().prepare()
        let real = h.sourceFolder + "/real.db"
        try Fixtures.makeDatabase(at: real)
        try FileManager.default.createSymbolicLink(atPath: h.source, withDestinationPath: real)
        #expect(throws: BackupError.sourceIsSymlink(path: h.source)) { try h.backUp() }
    }

    @Test("a source locked exclusively past the busy timeout fails with the timeout named")
    func lockedSource() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, journalMode: "delete")
        let holder = try Connection(path: h.source, options: [.readWrite])
        try holder.execute("BEGIN EXCLUSIVE; UPDATE items SET body = x'00' WHERE id = 1")
        defer { try? holder.execute("ROLLBACK") }
        #expect(throws: BackupError.sourceLocked(path: h.source, timeoutMilliseconds: 300)) {
            try h.backUp(h.job(busyTimeout: .milliseconds(300)))
        }
        #expect(try h.filesLeft().isEmpty)
    }

    @Test("a missing destination folder is named in the error")
    func missingDestination() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        let missing = h.folder.path + "/nowhere"
        #expect(throws: BackupError.destinationMissing(path: missing)) { try h.backUp(h.job(destination: missing)) }
    }

    @Test("a corrupted source fails its check, nothing is published, the last good backup stays")
    func corruptedSource() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, journalMode: "delete", rows: 300, rowBytes: 500)
        let good = try h.backUp().backup
        // Scribble over the middle of the table's b-tree pages (a fixture, not a live database).
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: h.source))
        try handle.seek(toOffset: 4096 * 3)
        try handle.write(contentsOf: Data((0..<8192).map { _ in UInt8.random(in: 0...255) }))
        try handle.close()
        do {
            try h.backUp()
            Issue.record("a corrupted database was backed up")
        } catch let error as BackupError {
            guard error.code == .checkFailed else {
                Issue.record("wrong error: \(error)")
                return
            }
            #expect(error.database == "app")
            #expect(error.reason?.contains("quick_check") == true)
            #expect(error.description.contains("nothing was published"))
        }
        #expect(try h.store.backups(of: "app") == [good])
        #expect(try h.filesLeft() == [good.dataLocation, good.manifestLocation].sorted())
    }

    @Test("a full destination leaves older backups intact, no partial file, staging removed")
    func destinationFull() throws {
        try requireRoot()
        let h = try Harness().prepare()
        try Mount.tmpfs(at: h.destination, size: "256k")
        defer { Mount.unmount(h.destination) }
        try Fixtures.makeDatabase(at: h.source, journalMode: "delete", rows: 10)
        let good = try h.backUp().backup
        try Fixtures.makeDatabase(at: h.sourceFolder + "/big.db", journalMode: "delete", rows: 300, rowBytes: 2000)
        try FileManager.default.removeItem(atPath: h.source)
        try FileManager.default.moveItem(atPath: h.sourceFolder + "/big.db", toPath: h.source)
        do {
            try h.backUp()
            Issue.record("a backup larger than the disk succeeded")
        } catch let error as FileSystemError {
            #expect(error.errno == ENOSPC)
            #expect(error.description.contains("free space"))
        }
        #expect(try h.store.backups(of: "app") == [good])
        #expect(try h.filesLeft() == [good.dataLocation, good.manifestLocation].sorted())
        let out = try h.restore(good)
        #expect(try Fixtures.integrityCheck(out) == ["ok"])
    }

    @Test("a full staging folder fails cleanly")
    func stagingFull() throws {
        try requireRoot()
        let h = try Harness().prepare()
        try FileManager.default.createDirectory(atPath: h.staging, withIntermediateDirectories: true)
        try Mount.tmpfs(at: h.staging, size: "64k")
        defer { Mount.unmount(h.staging) }
        try Fixtures.makeDatabase(at: h.source, journalMode: "delete", rows: 300, rowBytes: 2000)
        #expect(throws: (any Error).self) { try h.backUp() }
        #expect(try h.filesLeft().isEmpty)
    }

    @Test("a read-only destination fails with its code (the remount hint is the edge's: ErrorMessageTests)")
    func readOnlyDestination() throws {
        try requireRoot()
        let h = try Harness().prepare()
        try Mount.tmpfs(at: h.destination, size: "1m")
        defer { Mount.unmount(h.destination) }
        try Mount.remountReadOnly(h.destination)
        try Fixtures.makeDatabase(at: h.source)
        do {
            try h.backUp()
            Issue.record("wrote to a read-only file system")
        } catch let error as FileSystemError {
            #expect(error.errno == EROFS && error.code == .readOnly)
            #expect(error.description.contains("Read-only file system"))
        }
        #expect(try h.filesLeft().isEmpty)
    }

    @Test("leftovers of an interrupted run are removed by the next backup")
    func leftoversRemoved() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        let good = try h.backUp().backup
        let folder = h.destination + "/app"
        let tmp = folder + "/" + AtomicFile.temporaryPrefix + "dead-app-x.sqlite.zst.age"
        // A data file an interrupted run left, with the intent record that says so.
        let orphan = folder + "/app-20200101T000000.000000Z.sqlite.zst.age"
        let intent = folder + "/" + DirectoryStore.intentPrefix + "app-20200101T000000.000000Z"
        // A complete backup whose manifest an operator moved away: no intent, so it stays.
        let foreign = folder + "/app-20190101T000000.000000Z.sqlite.zst.age"
        let staged = h.staging + "/app.abcdef.staging"
        // Files a person left in the folder that only look like ours are never touched.
        let kept = ["app-notes.sqlite.bak", "app-20200101T000000.000000Z.sqlite.zst.age.orig", "app-old.sqlite"].map {
            folder + "/" + $0
        }
        for path in [tmp, orphan, intent, staged, foreign] + kept {
            _ = FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3]))
        }
        let next = try h.backUp().backup
        #expect(
            try h.filesLeft()
                == ([good.dataLocation, good.manifestLocation, next.dataLocation, next.manifestLocation, foreign]
                + kept)
                .sorted())
    }

    @Test("an unreadable manifest neither loses its data file nor blocks the next backup")
    func unreadableManifest() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        let first = try h.backUp().backup
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: first.manifestLocation))
        let next = try h.backUp().backup
        #expect(FileManager.default.fileExists(atPath: first.dataLocation))
        #expect(FileManager.default.fileExists(atPath: next.manifestLocation))
        // The damaged one is reported, naming the file and what is wrong; the good one is listed.
        let listing = try h.store.listing(of: "app")
        #expect(listing.backups == [next])
        #expect(listing.damaged.count == 1)
        let report = "\(try #require(listing.damaged.first))"
        #expect(report.hasPrefix("manifest \(first.manifestLocation) is damaged: "))
        #expect(report.contains("move it aside"))
        #expect(try h.store.backup(of: "app") == next)
    }

    @Test("a manifest missing a field or with a bad time says which field, not Swift's dump of the error")
    func manifestFieldErrors() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        let backup = try h.backUp().backup
        let url = URL(fileURLWithPath: backup.manifestLocation)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        object["created"] = "last tuesday"
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        #expect(
            try h.store.listing(of: "app").damaged.map(\.description).first?.hasPrefix(
                "manifest \(backup.manifestLocation) is damaged: created: 'last tuesday' is not an ISO 8601 time")
                == true)
        object["created"] = nil
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        #expect(
            try h.store.listing(of: "app").damaged.map(\.description).first?.hasPrefix(
                "manifest \(backup.manifestLocation) is damaged: created is missing") == true)
    }

}

func requireRoot() throws {
    guard geteuid() == 0 else {
        throw CocoaError(
            .featureUnsupported,
            userInfo: [
                NSLocalizedDescriptionKey: "this test mounts file systems: run it as root (make test does in CI)"
            ])
    }
}
