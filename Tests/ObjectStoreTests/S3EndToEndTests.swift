import Age
import Foundation
import LiteSafeCore
import Logging
import ObjectStore
import TestSupport
import Testing

/// A backup LiteSafe put in a bucket, read by tools nobody here wrote (`aws s3 ls|cp` from the
/// pinned virtualenv, stock `age -d | zstd -d`), and by the built `litesafe list|restore --from s3://`.
@Suite("S3 end to end")
struct S3EndToEndTests {
    @Test(
        "aws s3 ls shows the documented layout; aws s3 cp, age -d and zstd -d restore it; litesafe list and restore read it"
    )
    func readByOthers() throws {
        let server = try MotoServer.shared()
        let folder = try TemporaryDirectory("litesafe-s3-e2e")
        let source = folder.path + "/app.db"
        try Fixtures.makeDatabase(at: source, rows: 300)
        let key = folder.path + "/key.txt"
        let made = try Subprocess.run(Subprocess.litesafe, ["keygen", "-o", key])
        try #require(made.status == 0, "\(made)")
        let recipient = try #require(
            try String(contentsOfFile: key, encoding: .utf8).split(separator: "\n")
                .first { $0.hasPrefix("# public key: ") }?.dropFirst("# public key: ".count))
        let credentials = folder.path + "/s3.credentials"
        FileManager.default.createFile(
            atPath: credentials,
            contents: Data(
                "[default]\naws_access_key_id = \(server.accessKeyID)\naws_secret_access_key = \(server.secretAccessKey)\n"
                    .utf8),
            attributes: [.posixPermissions: 0o600])
        let prefix = "fleet/" + MotoServer.uniquePrefix()
        let location = S3Location(
            bucket: server.bucket, prefix: prefix, region: server.region, endpoint: server.endpoint, pathStyle: true,
            credentialsFile: credentials)

        // A backup as the daemon takes one: checked, compressed, encrypted, through the factory.
        let database = DatabaseConfiguration(
            name: "app", path: source, store: .s3(location),
            encryption: .recipients([try X25519Recipient(parsing: String(recipient))]))
        let configuration = Configuration(stateDirectory: folder.path, databases: [database], sourceFile: "test.yml")
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let result = try BackupEngine().backUp(
            configuration.backupJob(for: database, stores: S3StoreFactory(environment: [:])), logger: logger)
        let stem = result.backup.id.stem
        #expect(result.backup.manifest.file == stem + ".sqlite.zst.age")

        let aws = URL(fileURLWithPath: MotoServer.python).deletingLastPathComponent().appendingPathComponent("aws").path
        let environment = [
            "AWS_SHARED_CREDENTIALS_FILE": credentials, "AWS_CONFIG_FILE": "/dev/null",
            "AWS_DEFAULT_REGION": server.region,
        ]
        let listed = try Subprocess.run(
            aws, ["s3", "ls", "--recursive", "s3://\(server.bucket)/\(prefix)", "--endpoint-url", server.endpoint],
            environment: environment)
        try #require(listed.status == 0, "\(listed)")
        let keys = listed.output.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
        #expect(keys.sorted() == ["\(prefix)app/\(stem).manifest.json", "\(prefix)app/\(stem).sqlite.zst.age"])

        let downloaded = folder.path + "/downloaded.age"
        let copied = try Subprocess.run(
            aws,
            [
                "s3", "cp", "s3://\(server.bucket)/\(prefix)app/\(stem).sqlite.zst.age", downloaded, "--endpoint-url",
                server.endpoint,
            ], environment: environment)
        try #require(copied.status == 0, "\(copied)")
        let restoredByHand = folder.path + "/by-hand.db"
        let piped = try Subprocess.run(
            "sh", ["-c", "age -d -i \"$1\" \"$2\" | zstd -d -q -o \"$3\"", "sh", key, downloaded, restoredByHand])
        try #require(piped.status == 0, "\(piped)")
        #expect(try Fixtures.integrityCheck(restoredByHand) == ["ok"])
        #expect(try result.backup.manifest.describesDatabase(at: restoredByHand))

        let s3Flags = [
            "--from", "s3://\(server.bucket)/\(prefix)", "--credentials", credentials, "--endpoint", server.endpoint,
            "--region", server.region, "--path-style",
        ]
        let list = try Subprocess.run(Subprocess.litesafe, ["list"] + s3Flags + ["--json"])
        try #require(list.status == 0, "\(list)")
        #expect(list.output.contains(stem))
        let restored = folder.path + "/restored.db"
        let restore = try Subprocess.run(
            Subprocess.litesafe, ["restore", "app"] + s3Flags + ["--identity", key, "-o", restored])
        try #require(restore.status == 0, "\(restore)")
        // (Its bytes differ from the backup's: a restore puts the database back in WAL mode.)
        #expect(try Fixtures.integrityCheck(restored) == ["ok"])
        #expect(try rows(restored) == rows(source))

        // verify --quick downloads nothing: a HEAD compares the object's size with the manifest,
        // and its SHA-256 where the service keeps one. moto keeps a checksum only when the client
        // names its algorithm (as AWS's SDKs do), so awscli writes the objects from here on.
        let quick = try Subprocess.run(Subprocess.litesafe, ["verify", "--quick"] + s3Flags)
        try #require(quick.status == 0, "\(quick)")
        #expect(quick.output.contains(": ok (stored size matches; nothing read)"))
        func putWithChecksum(_ file: String) throws {
            let put = try Subprocess.run(
                aws,
                [
                    "s3api", "put-object", "--bucket", server.bucket, "--key", "\(prefix)app/\(stem).sqlite.zst.age",
                    "--body", file, "--checksum-algorithm", "SHA256", "--endpoint-url", server.endpoint,
                ], environment: environment)
            try #require(put.status == 0, "\(put)")
        }
        try putWithChecksum(downloaded)
        let kept = try Subprocess.run(Subprocess.litesafe, ["verify", "--quick"] + s3Flags)
        try #require(kept.status == 0, "\(kept)")
        #expect(kept.output.contains(": ok (stored size and the store's SHA-256 match; nothing read)"))
        // The object replaced by one of the same size: the quick check names it.
        var object = try [UInt8](Data(contentsOf: URL(fileURLWithPath: downloaded)))
        object[object.count / 2] ^= 0x01
        let flipped = folder.path + "/flipped.age"
        try Data(object).write(to: URL(fileURLWithPath: flipped))
        try putWithChecksum(flipped)
        let damaged = try Subprocess.run(Subprocess.litesafe, ["verify", "--quick"] + s3Flags)
        #expect(damaged.status == 1, "\(damaged)")
        #expect(damaged.output.contains("FAILED") && damaged.output.contains("does not match its manifest"))

        // A wrong secret: the CLI fails with S3's code and says where to look, without the secret.
        let wrong = folder.path + "/wrong.credentials"
        FileManager.default.createFile(
            atPath: wrong,
            contents: Data(
                "[default]\naws_access_key_id = \(server.accessKeyID)\naws_secret_access_key = nope-nope\n".utf8),
            attributes: [.posixPermissions: 0o600])
        var wrongFlags = s3Flags
        wrongFlags[3] = wrong
        let refused = try Subprocess.run(Subprocess.litesafe, ["list"] + wrongFlags)
        #expect(refused.status != 0)
        #expect(refused.errorOutput.contains("SignatureDoesNotMatch") && refused.errorOutput.contains(wrong))
        #expect(!refused.errorOutput.contains("nope-nope") && !refused.errorOutput.contains(server.secretAccessKey))
    }

    @Test(
        "litesafe backup --database --to s3:// uploads a backup that list and restore read; a refused upload lists nothing"
    )
    func adHocBackup() throws {
        let server = try MotoServer.shared()
        let folder = try TemporaryDirectory("litesafe-s3-adhoc")
        let source = folder.path + "/app.db"
        try Fixtures.makeDatabase(at: source, rows: 300)
        let key = folder.path + "/key.txt"
        let made = try Subprocess.run(Subprocess.litesafe, ["keygen", "-o", key])
        try #require(made.status == 0, "\(made)")
        let recipient = try #require(
            try String(contentsOfFile: key, encoding: .utf8).split(separator: "\n")
                .first { $0.hasPrefix("# public key: ") }?.dropFirst("# public key: ".count))
        let credentials = try Self.credentialsFile(in: folder.path, server, secret: server.secretAccessKey)
        let url = "s3://\(server.bucket)/adhoc/" + MotoServer.uniquePrefix()
        let s3Flags = [
            "--credentials", credentials, "--endpoint", server.endpoint, "--region", server.region, "--path-style",
        ]
        let staging = folder.path + "/staging"

        // Without --staging, a usage error before anything is touched.
        let noStaging = try Subprocess.run(
            Subprocess.litesafe,
            ["backup", "--database", source, "--to", url, "--recipient", String(recipient)] + s3Flags)
        #expect(noStaging.status == 64)
        #expect(noStaging.errorOutput.contains("--staging"))

        let backup = try Subprocess.run(
            Subprocess.litesafe,
            ["backup", "--database", source, "--to", url, "--recipient", String(recipient), "--staging", staging]
                + s3Flags)
        try #require(backup.status == 0, "\(backup)")
        #expect(backup.output.contains(url + "app/app-"))
        // The snapshot was staged and removed.
        #expect(try FileManager.default.contentsOfDirectory(atPath: staging).isEmpty)

        let list = try Subprocess.run(Subprocess.litesafe, ["list", "--from", url, "--json"] + s3Flags)
        try #require(list.status == 0, "\(list)")
        let backups = try #require(
            try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [[String: Any]])
        #expect(backups.count == 1)
        #expect((backups.first?["data_path"] as? String)?.hasPrefix(url + "app/app-") == true)
        let restored = folder.path + "/restored.db"
        let restore = try Subprocess.run(
            Subprocess.litesafe, ["restore", "app", "--from", url, "--identity", key, "-o", restored] + s3Flags)
        try #require(restore.status == 0, "\(restore)")
        #expect(try rows(restored) == rows(source))

        // A wrong secret: the backup fails with S3's code and the file named, and nothing more is listed.
        let wrong = try Self.credentialsFile(in: folder.path, server, secret: "nope-nope", name: "wrong.credentials")
        var wrongFlags = s3Flags
        wrongFlags[1] = wrong
        let refused = try Subprocess.run(
            Subprocess.litesafe,
            ["backup", "--database", source, "--to", url, "--recipient", String(recipient), "--staging", staging]
                + wrongFlags)
        #expect(refused.status == 1)
        #expect(refused.errorOutput.contains("SignatureDoesNotMatch") && refused.errorOutput.contains(wrong))
        #expect(!refused.errorOutput.contains("nope-nope"))
        let again = try Subprocess.run(Subprocess.litesafe, ["list", "--from", url, "--json"] + s3Flags)
        try #require(again.status == 0, "\(again)")
        #expect(again.output == list.output)
    }

    /// A credentials file in AWS's format (0600) for `server`, with `secret`.
    static func credentialsFile(
        in folder: String, _ server: MotoServer, secret: String, name: String = "s3.credentials"
    ) throws -> String {
        let path = folder + "/" + name
        try #require(
            FileManager.default.createFile(
                atPath: path,
                contents: Data(
                    "[default]\naws_access_key_id = \(server.accessKeyID)\naws_secret_access_key = \(secret)\n".utf8),
                attributes: [.posixPermissions: 0o600]))
        return path
    }

    /// The rows of the fixture's table, as the sqlite3 CLI prints them.
    func rows(_ database: String) throws -> String {
        let result = try Subprocess.run("sqlite3", [database, "SELECT id, hex(body) FROM items ORDER BY id"])
        try #require(result.status == 0, "\(result)")
        return result.output
    }
}
