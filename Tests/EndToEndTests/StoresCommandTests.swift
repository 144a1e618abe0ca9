import Foundation
import TestTools
import Testing

/// Named stores through the built binary: one backup to a folder and to a bucket on a real S3
/// server (moto, signatures checked), read back from either with `--store`, pruned per store,
/// and `check-store` against both, with the right secret and a wrong one.
@Suite("Named stores end to end")
struct StoresCommandTests {
    final class World {
        let dir: TemporaryDirectory
        let server: MotoServer
        let key: String
        let recipient: String
        let prefix = MotoServer.uniquePrefix()

        init() throws {
            server = try MotoServer.shared()
            dir = try TemporaryDirectory("litesafe-e2e-stores")
            key = dir.path + "/key.txt"
            let made = try Subprocess.run(Subprocess.litesafe, ["keygen", "-o", key])
            guard made.status == 0 else { throw MotoServerError("keygen failed: \(made)") }
            recipient =
                made.errorOutput.components(separatedBy: "age1").last.map {
                    "age1" + $0.trimmingCharacters(in: .whitespacesAndNewlines)
                } ?? ""
            for folder in ["backups", "data", "state"] {
                try FileManager.default.createDirectory(
                    atPath: dir.path + "/" + folder, withIntermediateDirectories: true)
            }
            try Fixtures.makeDatabase(at: dir.path + "/data/app.db", rows: 200)
            try writeCredentials(secret: server.secretAccessKey)
            try """
            state_directory: \(dir.path)/state
            stores:
              local:
                path: \(dir.path)/backups
              offsite:
                s3:
                  bucket: \(server.bucket)
                  prefix: \(prefix)
                  region: \(server.region)
                  endpoint: \(server.endpoint)
                  path_style: true
                  credentials: \(credentials)
                retention: { keep_last: 2 }
            defaults:
              stores: [local, offsite]
              retention: { keep_last: 1 }
              encryption:
                recipients: [\(recipient)]
            databases:
              - name: app
                path: \(dir.path)/data/app.db
            """.write(toFile: config, atomically: true, encoding: .utf8)
        }

        var config: String { dir.path + "/litesafe.yml" }
        var credentials: String { dir.path + "/s3.credentials" }

        func writeCredentials(secret: String) throws {
            try? FileManager.default.removeItem(atPath: credentials)
            guard
                FileManager.default.createFile(
                    atPath: credentials,
                    contents: Data(
                        "[default]\naws_access_key_id = \(server.accessKeyID)\naws_secret_access_key = \(secret)\n".utf8
                    ),
                    attributes: [.posixPermissions: 0o600])
            else { throw MotoServerError("cannot write \(credentials)") }
        }

        func litesafe(_ arguments: [String]) throws -> ProcessResult {
            try Subprocess.run(Subprocess.litesafe, arguments + ["--config", config], environment: ["HOME": dir.path])
        }

        /// The stems `list --json` shows in `store`.
        func stems(in store: String) throws -> [String] {
            let listed = try litesafe(["list", "--json", "--store", store])
            guard listed.status == 0 else { throw MotoServerError("list failed: \(listed)") }
            let rows = try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]] ?? []
            return rows.compactMap { $0["file"] as? String }
        }
    }

    @Test("a backup reaches a folder and a bucket; list, restore and prune take --store; check-store passes both")
    func backUpToTwoStores() throws {
        let world = try World()
        let checked = try world.litesafe(["check-config"])
        #expect(checked.status == 0, "\(checked)")
        #expect(checked.output.contains("store offsite"), "\(checked)")

        for _ in 0..<3 {
            let backedUp = try world.litesafe(["backup", "app"])
            try #require(backedUp.status == 0, "\(backedUp)")
        }
        // keep_last 1 in the folder, 2 in the bucket.
        let local = try world.stems(in: "local")
        let offsite = try world.stems(in: "offsite")
        #expect(local.count == 1)
        #expect(offsite.count == 2)
        #expect(offsite.first == local.first)

        let out = world.dir.path + "/restored.db"
        let restored = try world.litesafe(["restore", "app", "--store", "offsite", "-o", out, "--identity", world.key])
        #expect(restored.status == 0, "\(restored)")
        #expect(try Fixtures.integrityCheck(out) == ["ok"])
        #expect(try Fixtures.sha256(out) == Fixtures.sha256(world.dir.path + "/data/app.db"))

        let unknown = try world.litesafe(["list", "--store", "elsewhere"])
        #expect(unknown.status != 0)
        #expect(
            unknown.errorOutput.contains("database 'app' has no store named 'elsewhere'; its stores: local, offsite"))

        let dryRun = try world.litesafe(["prune", "--dry-run", "--store", "offsite"])
        #expect(dryRun.status == 0, "\(dryRun)")

        let storeCheck = try world.litesafe(["check-store"])
        #expect(storeCheck.status == 0, "\(storeCheck)")
        #expect(storeCheck.output.contains("store local (\(world.dir.path)/backups): ok"), "\(storeCheck)")
        #expect(
            storeCheck.output.contains("store offsite (s3://\(world.server.bucket)/\(world.prefix)): ok"),
            "\(storeCheck)")
        // The check leaves no database behind in either store.
        #expect(try world.stems(in: "local").count == 1)
        let databases = try FileManager.default.contentsOfDirectory(atPath: world.dir.path + "/backups")
        #expect(databases == ["app"])
    }

    @Test(
        "check-store with a wrong secret says S3 rejected the credentials, with S3's code and request id, and no secret"
    )
    func wrongSecret() throws {
        let world = try World()
        try #require(world.server.checksSignatures)
        let wrong = "wrong" + String(world.server.secretAccessKey.dropFirst(5))
        try world.writeCredentials(secret: wrong)
        let checked = try world.litesafe(["check-store", "offsite"])
        #expect(checked.status == 1, "\(checked)")
        let line = checked.output
        #expect(
            line.hasPrefix("store offsite (s3://\(world.server.bucket)/\(world.prefix)): FAILED to take the lock: "))
        #expect(line.contains("S3 rejected the credentials for bucket \(world.server.bucket)"), "\(line)")
        #expect(line.contains("SignatureDoesNotMatch"), "\(line)")
        #expect(line.contains("HTTP 403"), "\(line)")
        #expect(line.contains("request id"), "\(line)")
        #expect(line.contains("check the access key and secret key in \(world.credentials)"), "\(line)")
        #expect(!(checked.output + checked.errorOutput).contains(wrong))
        // A backup still reaches the folder; the bucket's failure is said, and the exit status is 1.
        let backedUp = try world.litesafe(["backup", "app"])
        #expect(backedUp.status == 1, "\(backedUp)")
        #expect(backedUp.output.contains("app: local: \(world.dir.path)/backups/app/app-"), "\(backedUp)")
        #expect(backedUp.output.contains("app: offsite: FAILED"), "\(backedUp)")
        #expect(
            backedUp.errorOutput.contains("backup of 'app' to store 'offsite' failed: S3 rejected the credentials"),
            "\(backedUp)")
        #expect(!(backedUp.output + backedUp.errorOutput).contains(wrong))
        #expect(try world.stems(in: "local").count == 1)
        // The folder store is not named, so not checked; naming an unknown store is an error.
        #expect(!line.contains("store local"))
        let unknown = try world.litesafe(["check-store", "nowhere"])
        #expect(unknown.status == 1)
        #expect(unknown.errorOutput.contains("no store named 'nowhere'"), "\(unknown)")
    }
}
