import Age
import Foundation
import Logging
import TestSupport
import Testing

@testable import LiteSafeCore

@Suite("Verifier: scrub and restore test")
struct VerifierTests {
    /// Flips one bit in the middle of a file.
    static func flipBit(in path: String) throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Every path under `root` with its size and modification time, to prove nothing changed.
    static func snapshot(_ root: String) throws -> [String: String] {
        var found: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let name = enumerator?.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + name)
            found[name] =
                "\(attributes[.size] ?? 0) \((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        }
        return found
    }

    @Test("a scrub passes an intact backup and fails a flipped bit, naming the file")
    func scrub() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        let backup = try h.backUp().backup
        let logs = LogRecorder()
        try Verifier().scrub(backup: backup, store: h.store, logger: logs.logger)
        #expect(logs.entries.last?.metadata[LogKey.messageID] == .string(Event.verifyCompleted.messageID))
        try Self.flipBit(in: backup.dataLocation)
        #expect {
            try Verifier().scrub(backup: backup, store: h.store, logger: logs.logger)
        } throws: { error in
            guard let error = error as? BackupError, error.code == .hashMismatch else { return false }
            return error.location == backup.dataLocation && "\(error)".contains(backup.manifest.storedSHA256)
                && "\(error)".contains(backup.dataLocation)
        }
        let failure = try #require(logs.entries.last)
        #expect(failure.metadata[LogKey.messageID] == .string(Event.verifyFailed.messageID))
        #expect(failure.level == .error)
        #expect(failure.metadata[LogKey.backup] == .string(backup.manifest.file))
        #expect(failure.metadata[LogKey.database] == "app")
    }

    @Test(
        "a quick check reads nothing: it passes an intact backup, fails a truncated or missing one, not a flipped bit")
    func quickCheck() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        let backup = try h.backUp().backup
        let results = Verifier().verify(
            "app", in: h.store, identities: nil, scratch: h.folder.path, quick: true, logger: h.logger)
        #expect(results.count == 1)
        #expect(results.first?.passed == true)
        #expect(results.first?.quickChecked == true)
        // A folder keeps no SHA-256 of its files: only the size is compared.
        if case .quickPassed(let compared) = results.first?.outcome {
            #expect(!compared)
        } else {
            Issue.record("not quick")
        }
        // What only a scrub finds: a flipped bit keeps the size.
        try Self.flipBit(in: backup.dataLocation)
        try Verifier().quickCheck(backup: backup, store: h.store, logger: h.logger)
        // What a quick check finds: a truncated file, named with both sizes.
        #expect(truncate(backup.dataLocation, Int(backup.manifest.storedSize - 1)) == 0)
        #expect {
            try Verifier().quickCheck(backup: backup, store: h.store, logger: h.logger)
        } throws: { error in
            guard let error = error as? BackupError, error.code == .hashMismatch else { return false }
            return "\(error)".contains(
                "\(backup.manifest.storedSize - 1) bytes stored, expected \(backup.manifest.storedSize)")
        }
        try FileSystem.remove(backup.dataLocation)
        let missing = Verifier().verify(
            "app", in: h.store, identities: nil, scratch: h.folder.path, quick: true, logger: h.logger)
        #expect(missing.first?.passed == false)
        #expect(missing.first?.quickChecked == true)
    }

    @Test("a missing data file fails the scrub with the path")
    func missingData() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        let backup = try h.backUp().backup
        try FileSystem.remove(backup.dataLocation)
        #expect(throws: FileSystemError.self) {
            try Verifier().scrub(backup: backup, store: h.store, logger: h.logger)
        }
    }

    @Test("a restore test with the right identity passes and leaves nothing behind")
    func restoreTest() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, journalMode: "wal", rows: 300)
        let backup = try h.backUp().backup
        let scratch = try TemporaryDirectory("litesafe-scratch")
        let before = try Self.snapshot(h.folder.path)
        let result = try Verifier().restoreTest(
            backup: backup, store: h.store, identities: [h.identity], scratch: scratch.path, logger: h.logger)
        #expect(result.plaintextSize == backup.manifest.plaintextSize)
        #expect(result.hashChecked)
        #expect(result.walMode)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
        #expect(try Self.snapshot(h.folder.path) == before)
    }

    @Test("a restore test with the wrong identity fails with age's error, and leaves nothing behind")
    func wrongIdentity() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        let backup = try h.backUp().backup
        let scratch = try TemporaryDirectory("litesafe-scratch")
        let results = Verifier().verify(
            "app", in: h.store, identities: [X25519Identity.generate()], scratch: scratch.path, logger: h.logger)
        let result = try #require(results.first)
        #expect(results.count == 1)
        #expect(!result.passed)
        #expect(result.restoreTested)
        #expect(result.backup == backup)
        guard case .failed(let error) = result.outcome else { return }
        #expect("\(error)".hasPrefix("no identity matches this file"))
        #expect(error is AgeError)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
    }

    @Test("a restore test of a flipped bit fails on the stored hash before decrypting")
    func restoreTestOfDamage() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        let backup = try h.backUp().backup
        try Self.flipBit(in: backup.dataLocation)
        let scratch = try TemporaryDirectory("litesafe-scratch")
        #expect {
            try Verifier().restoreTest(
                backup: backup, store: h.store, identities: [h.identity], scratch: scratch.path, logger: h.logger)
        } throws: { error in
            guard let error = error as? BackupError, error.code == .hashMismatch else { return false }
            return error.location == backup.dataLocation
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
    }

    @Test("verify reports each backup newest first, and a database with none as failed")
    func verifyAll() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        let older = try h.backUp().backup
        let newer = try h.backUp().backup
        try Self.flipBit(in: older.dataLocation)
        let results = Verifier().verify("app", in: h.store, identities: nil, scratch: "/nonexistent", logger: h.logger)
        #expect(results.map(\.backup) == [newer, older])
        #expect(results.map(\.passed) == [true, false])
        guard case .failed(let failure) = results[1].outcome else { return }
        #expect("\(failure)".hasPrefix("\(older.dataLocation) does not match"))
        let none = Verifier().verify("other", in: h.store, identities: nil, scratch: "/nonexistent", logger: h.logger)
        #expect(none.count == 1 && !none[0].passed && none[0].backup == nil)
        guard case .failed(let nothing) = none[0].outcome else { return }
        #expect("\(nothing)".hasPrefix("no backups of 'other'"))
    }

    @Test("the restore test's folder is private: 0700")
    func privateFolder() throws {
        let scratch = try TemporaryDirectory("litesafe-scratch")
        let folder = try Verifier.makePrivateFolder(in: scratch.path)
        #expect(try FileManager.default.attributesOfItem(atPath: folder)[.posixPermissions] as? Int == 0o700)
        _ = FileManager.default.createFile(atPath: folder + "/restored.db", contents: Data([1]))
        Verifier.removePrivateFolder(folder)
        #expect(!FileSystem.exists(folder))
    }
}
