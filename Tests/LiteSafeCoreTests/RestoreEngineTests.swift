import Age
import Foundation
import LiteSafeCore
import TestSupport
import Testing

@Suite("Restore: all or nothing")
struct RestoreEngineTests {
    /// A harness with one backup of a small WAL database.
    private func withBackup(journalMode: String = "wal") throws -> (Harness, StoredBackup) {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, journalMode: journalMode, rows: 400, rowBytes: 300)
        return (h, try h.backUp().backup)
    }

    private func restore(
        _ h: Harness, _ source: RestoreSource, identities: [any AgeIdentity]? = nil, out: String, force: Bool = false
    ) throws {
        _ = try RestoreEngine().restore(
            source, identities: identities ?? [h.identity], to: out, force: force, logger: h.logger)
    }

    @Test("a cancelled restore (the daemon stopping during a restore test) stops and leaves nothing")
    func cancelled() throws {
        let (h, backup) = try withBackup()
        let out = h.folder.path + "/out.db"
        let cancellation = Cancellation()
        cancellation.cancel()
        #expect(throws: BackupError.cancelled(database: "app")) {
            _ = try RestoreEngine().restore(
                .stored(backup, store: h.store), identities: [h.identity], to: out, force: false,
                cancellation: cancellation, logger: h.logger)
        }
        #expect(!FileSystem.exists(out))
        #expect(try FileSystem.contents(of: h.folder.path).filter { $0.contains("litesafe-tmp") }.isEmpty)
    }

    @Test("a wrong key fails and OUT is not created")
    func wrongKey() throws {
        let (h, backup) = try withBackup()
        let out = h.folder.path + "/out.db"
        #expect(throws: AgeError.self) {
            try restore(h, .stored(backup, store: h.store), identities: [X25519Identity.generate()], out: out)
        }
        #expect(!FileSystem.exists(out))
        #expect(try FileSystem.contents(of: h.folder.path).filter { $0.contains("litesafe-tmp") }.isEmpty)
    }

    @Test(
        "a flipped bit, a truncation or appended bytes fail and leave OUT untouched",
        arguments: ["flip", "truncate", "append"])
    func tampered(kind: String) throws {
        let (h, backup) = try withBackup()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: backup.dataLocation))
        switch kind {
        case "flip": bytes[bytes.count / 2] ^= 0x10
        case "truncate": bytes = bytes.prefix(bytes.count - 1000)
        default: bytes.append(contentsOf: [1, 2, 3])
        }
        try bytes.write(to: URL(fileURLWithPath: backup.dataLocation))
        let out = h.folder.path + "/out.db"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: out))
        #expect(throws: (any Error).self) { try restore(h, .stored(backup, store: h.store), out: out, force: true) }
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "precious")
    }

    @Test(
        "a manifest that lies about the hash is caught (whole, page 1's, or the rest's)",
        arguments: [\Manifest.plaintextSHA256, \Manifest.firstPageSHA256, \Manifest.afterFirstPageSHA256])
    func lyingManifest(field: WritableKeyPath<Manifest, String?> & Sendable) throws {
        let (h, backup) = try withBackup(journalMode: field == \Manifest.plaintextSHA256 ? "delete" : "wal")
        var manifest = backup.manifest
        #expect(manifest[keyPath: field] != nil)
        manifest[keyPath: field] = String(repeating: "0", count: 64)
        let lying = StoredBackup(
            id: backup.id, manifest: manifest, dataLocation: backup.dataLocation,
            manifestLocation: backup.manifestLocation)
        let out = h.folder.path + "/out.db"
        #expect(throws: BackupError.self) { try restore(h, .stored(lying, store: h.store), out: out) }
        #expect(!FileSystem.exists(out))
    }

    @Test("an existing OUT is refused without --force, replaced with it, and its stale WAL removed")
    func forceRules() throws {
        let (h, backup) = try withBackup()
        let out = h.folder.path + "/out.db"
        try Data("old".utf8).write(to: URL(fileURLWithPath: out))
        try Data("stale wal".utf8).write(to: URL(fileURLWithPath: out + "-wal"))
        #expect(throws: BackupError.outputExists(path: out)) {
            try restore(h, .stored(backup, store: h.store), out: out)
        }
        try restore(h, .stored(backup, store: h.store), out: out, force: true)
        #expect(!FileSystem.exists(out + "-wal"))
        #expect(try Fixtures.integrityCheck(out) == ["ok"])
    }

    @Test("--force does not replace a folder or a symlink at OUT")
    func forceReplacesOnlyAFile() throws {
        let (h, backup) = try withBackup()
        let out = h.folder.path + "/out.db"
        #expect(mkdir(out, 0o700) == 0)
        #expect(throws: FileSystemError("replace", path: out, errno: EISDIR)) {
            try restore(h, .stored(backup, store: h.store), out: out, force: true)
        }
        let link = h.folder.path + "/link.db"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: out)
        #expect(throws: FileSystemError("replace", path: link, errno: ELOOP)) {
            try restore(h, .stored(backup, store: h.store), out: link, force: true)
        }
        #expect(try ours(in: h.folder.path).isEmpty)
    }

    @Test("--force is refused while a live process has OUT open")
    func forceRefusedWhileOpen() throws {
        let (h, backup) = try withBackup()
        let out = h.folder.path + "/out.db"
        try Fixtures.makeDatabase(at: out)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "exec 3<\"$0\"; echo held; exec sleep 30", out]
        let pipe = Pipe()
        holder.standardOutput = pipe
        try holder.run()
        defer {
            holder.terminate()
            holder.waitUntilExit()
        }
        _ = pipe.fileHandleForReading.readData(ofLength: 4)
        let before = try Fixtures.sha256(out)
        do {
            try restore(h, .stored(backup, store: h.store), out: out, force: true)
            Issue.record("replaced a database a process had open")
        } catch let error as BackupError {
            guard error.code == .outputInUse else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(error.location == out)
            #expect(error.reason?.contains("pid \(holder.processIdentifier)") == true)
        }
        #expect(try Fixtures.sha256(out) == before)
    }

    @Test("OUT's folder is a symlink: refused as such, nothing written through it")
    func symlinkedFolder() throws {
        let (h, backup) = try withBackup()
        let real = h.folder.path + "/real"
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: h.folder.path + "/link", withDestinationPath: real)
        #expect(throws: FileSystemError("restore into", path: h.folder.path + "/link", errno: ELOOP)) {
            try restore(h, .stored(backup, store: h.store), out: h.folder.path + "/link/out.db")
        }
        #expect(try FileSystem.contents(of: real).isEmpty)
    }

    @Test("the stock tools restore our backups: age -d | zstd -d")
    func stockToolsReadOurs() throws {
        let (h, backup) = try withBackup()
        let key = h.folder.path + "/key.txt"
        try h.identity.identityFile(created: Date()).write(toFile: key, atomically: false, encoding: .utf8)
        let out = h.folder.path + "/stock.db"
        let pipeline = try Subprocess.run(
            "/bin/sh", ["-c", "age -d -i \"$0\" \"$1\" | zstd -d -q -o \"$2\"", key, backup.dataLocation, out])
        #expect(pipeline.status == 0, "\(pipeline)")
        #expect(try backup.manifest.describesDatabase(at: out))
        #expect(try Fixtures.integrityCheck(out) == ["ok"])
    }

    @Test("our restore reads what the stock tools made (no manifest: no hash, still checked)")
    func weReadStockTools() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, journalMode: "delete")
        let file = h.folder.path + "/app.db.zst.age"
        let made = try Subprocess.run(
            "/bin/sh",
            [
                "-c",
                "sqlite3 \"$0\" \".backup '$0.snap'\" && zstd -q -3 --stdout \"$0.snap\" | age -r \"$1\" -o \"$2\"",
                h.source, h.identity.recipient.description, file,
            ])
        #expect(made.status == 0, "\(made)")
        let out = h.folder.path + "/out.db"
        let result = try RestoreEngine().restore(
            .file(path: file, manifest: nil), identities: [h.identity], to: out, force: false, logger: h.logger)
        #expect(!result.hashChecked)
        #expect(try Fixtures.sha256(out) == (try Fixtures.sha256(h.source + ".snap")))
    }

    @Test("a decompression bomb stops at the bound and leaves nothing")
    func decompressionBomb() throws {
        let h = try Harness().prepare()
        let bomb = h.folder.path + "/bomb.sqlite.zst"
        let made = try Subprocess.run("/bin/sh", ["-c", "head -c 50000000 /dev/zero | zstd -q -19 -o \"$0\"", bomb])
        #expect(made.status == 0)
        var engine = RestoreEngine()
        engine.maxSize = 1 << 20
        let out = h.folder.path + "/out.db"
        #expect(throws: RestoreError.notADatabase(source: bomb)) {
            _ = try engine.restore(
                .file(path: bomb, manifest: nil), identities: [], to: out, force: false, logger: h.logger)
        }
        #expect(!FileSystem.exists(out))
        #expect(try ours(in: h.folder.path).isEmpty)
    }

    /// Temporaries and private folders of ours in `folder`.
    private func ours(in folder: String) throws -> [String] {
        try FileSystem.contents(of: folder).filter {
            $0.hasPrefix(AtomicFile.temporaryPrefix) || $0.hasPrefix(".litesafe-restore-")
        }
    }

    @Test("a database followed by more bytes than its header declares is refused at the header's size")
    func longerThanHeader() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source, journalMode: "delete")
        let declared = try FileSystem.size(h.source)
        let bomb = h.folder.path + "/bomb.sqlite.zst"
        let made = try Subprocess.run(
            "/bin/sh", ["-c", "(cat \"$0\"; head -c 20000000 /dev/zero) | zstd -q -19 -o \"$1\"", h.source, bomb])
        #expect(made.status == 0, "\(made)")
        let out = h.folder.path + "/out.db"
        #expect(throws: RestoreError.longerThanHeader(source: bomb, declaredBytes: declared)) {
            _ = try RestoreEngine().restore(
                .file(path: bomb, manifest: nil), identities: [], to: out, force: false, logger: h.logger)
        }
        #expect(!FileSystem.exists(out))
        #expect(try ours(in: h.folder.path).isEmpty)
    }

    @Test("--force gives the new file OUT's mode, WAL mode is restored, and nothing of ours is left beside OUT")
    func forceKeepsModeAndWAL() throws {
        let (h, backup) = try withBackup()
        #expect(backup.manifest.walMode)
        let out = h.folder.path + "/out.db"
        try Data("old".utf8).write(to: URL(fileURLWithPath: out))
        chmod(out, 0o640)
        let result = try RestoreEngine().restore(
            .stored(backup, store: h.store), identities: [h.identity], to: out, force: true, logger: h.logger)
        #expect(result.walMode)
        var info = stat()
        #expect(lstat(out, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o640)
        let header = try Data(contentsOf: URL(fileURLWithPath: out)).prefix(20)
        #expect(Array(header.suffix(2)) == [2, 2], "bytes 18 and 19 say WAL mode")
        #expect(try Fixtures.integrityCheck(out) == ["ok"])
        #expect(try ours(in: h.folder.path).isEmpty)
    }

    @Test("what a killed restore left beside OUT is removed by the next one; what is not ours, or in use, stays")
    func leftoversOfAKilledRestore() throws {
        let (h, backup) = try withBackup()
        let folder = h.folder.path
        let out = folder + "/out.db"
        // A private folder with a plaintext copy in it, and a temporary of an earlier version.
        let killed = folder + "/.litesafe-restore-0123abcd"
        #expect(mkdir(killed, 0o700) == 0)
        try Data("plaintext".utf8).write(to: URL(fileURLWithPath: killed + "/.litesafe-tmp-aa-out.db"))
        try Data("plaintext".utf8).write(to: URL(fileURLWithPath: folder + "/.litesafe-tmp-0011-out.db"))
        // Not ours to remove: another name's temporary, and a private folder a live restore holds.
        try Data("other".utf8).write(to: URL(fileURLWithPath: folder + "/.litesafe-tmp-0022-other.db"))
        let live = folder + "/.litesafe-restore-live"
        #expect(mkdir(live, 0o700) == 0)
        let holder = open(live, O_RDONLY | O_DIRECTORY)
        defer { close(holder) }
        #expect(flock(holder, LOCK_EX) == 0)
        try restore(h, .stored(backup, store: h.store), out: out)
        #expect(try ours(in: folder).sorted() == [".litesafe-restore-live", ".litesafe-tmp-0022-other.db"])
    }

    @Test("a restore test killed mid-way: the daemon's next start removes its folder with the restore's inside")
    func killedRestoreTestLeftovers() throws {
        let h = try Harness().prepare()
        let scratch = h.folder.path + "/state"
        #expect(mkdir(scratch, 0o700) == 0)
        let verify = scratch + "/.litesafe-verify.abc123"
        let restore = verify + "/.litesafe-restore-0123abcd"
        #expect(mkdir(verify, 0o700) == 0 && mkdir(restore, 0o700) == 0)
        try Data("plaintext".utf8).write(to: URL(fileURLWithPath: restore + "/.litesafe-tmp-aa-restored.db"))
        #expect(Verifier.removeLeftovers(in: scratch) == [verify])
        #expect(try FileSystem.contents(of: scratch).isEmpty)
    }

    @Test("a name with a slash or dot-dot is refused by the folder descriptor")
    func folderDescriptorNames() throws {
        let h = try Harness().prepare()
        let folder = try FolderDescriptor(path: h.folder.path)
        for name in ["..", ".", "", "a/b", "../x"] {
            #expect(throws: FileSystemError.self) { _ = try folder.status(of: name) }
            #expect(throws: FileSystemError.self) { _ = try folder.makeFolder(name) }
        }
    }

    @Test("metrics written over a symlink replace the link, never chmod its target")
    func metricsOverSymlink() throws {
        let h = try Harness().prepare()
        let secret = h.folder.path + "/secret"
        try Data("secret".utf8).write(to: URL(fileURLWithPath: secret))
        chmod(secret, 0o600)
        let metrics = h.folder.path + "/litesafe.prom"
        try FileManager.default.createSymbolicLink(atPath: metrics, withDestinationPath: secret)
        try MetricsFile(path: metrics).write(DaemonState(pid: 1, started: Date(), updated: Date(), configFile: "/x"))
        var info = stat()
        #expect(lstat(secret, &info) == 0 && info.st_mode & 0o7777 == 0o600)
        #expect(try String(contentsOfFile: secret, encoding: .utf8) == "secret")
        #expect(lstat(metrics, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && info.st_mode & 0o777 == 0o644)
    }
}
