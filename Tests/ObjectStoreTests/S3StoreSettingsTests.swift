import Foundation
import HTTP
import LiteSafeCore
import Logging
import ObjectStore
import S3
import TestSupport
import TestTools
import Testing

/// The S3 store keys beyond where the bucket is: `storage_class`, `object_lock` and `ca_file`,
/// on moto, read back with awscli (a client nobody here wrote).
@Suite("The S3 store's storage class, object lock and CA file")
struct S3StoreSettingsTests {
    /// awscli from the pinned virtualenv, with the shared server's key.
    struct AWSCLI {
        let server: MotoServer

        func run(_ arguments: [String]) throws -> ProcessResult {
            let aws = URL(fileURLWithPath: MotoServer.python).deletingLastPathComponent()
                .appendingPathComponent("aws").path
            return try Subprocess.run(
                aws, arguments + ["--endpoint-url", server.endpoint, "--output", "json"],
                environment: [
                    "AWS_ACCESS_KEY_ID": server.accessKeyID, "AWS_SECRET_ACCESS_KEY": server.secretAccessKey,
                    "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                    "AWS_DEFAULT_REGION": server.region,
                ])
        }

        /// `aws s3api <command> …` as JSON.
        func json(_ arguments: [String]) throws -> [String: Any] {
            let result = try run(["s3api"] + arguments)
            try #require(result.status == 0, "\(result)")
            if result.output.isEmpty { return [:] }
            return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        }

        /// A new bucket with Object Lock enabled (and so versioning).
        func makeLockedBucket() throws -> String {
            let bucket = "litesafe-lock-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            _ = try json(["create-bucket", "--bucket", bucket, "--object-lock-enabled-for-bucket"])
            return bucket
        }

        func head(_ bucket: String, _ key: String) throws -> [String: Any] {
            try json(["head-object", "--bucket", bucket, "--key", key])
        }

        /// Every version and delete marker under `prefix`, by key.
        func versions(_ bucket: String, prefix: String) throws -> [String] {
            let listed = try json(["list-object-versions", "--bucket", bucket, "--prefix", prefix])
            let entries =
                (listed["Versions"] as? [[String: Any]] ?? []) + (listed["DeleteMarkers"] as? [[String: Any]] ?? [])
            return entries.compactMap { $0["Key"] as? String }.sorted()
        }
    }

    static let lock = S3Location.ObjectLock(mode: .governance, days: 30)

    func store(
        bucket: String, storageClass: String? = nil, objectLock: S3Location.ObjectLock? = nil,
        endpoint: String? = nil, caFile: String? = nil, options: S3Store.Options = S3Store.Options()
    ) throws -> (S3Store, S3Location) {
        let server = try MotoServer.shared()
        let location = S3Location(
            bucket: bucket, prefix: MotoServer.uniquePrefix(), region: server.region,
            endpoint: endpoint ?? server.endpoint, pathStyle: true, storageClass: storageClass, objectLock: objectLock,
            caFile: caFile)
        return (
            S3Store(location, environment: S3StoreSubject.environment(server), options: options), location
        )
    }

    /// The seconds from now until S3's `ObjectLockRetainUntilDate` as awscli prints it.
    func secondsUntil(_ head: [String: Any]) throws -> TimeInterval {
        let text = try #require(head["ObjectLockRetainUntilDate"] as? String, "\(head)")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let date =
            try formatter.date(from: text)
            ?? {
                formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                return try #require(formatter.date(from: text), "\(text)")
            }()
        return date.timeIntervalSinceNow
    }

    @Test("a backup's data and manifest are stored with the storage class and locked for the configured days")
    func writtenLocked() throws {
        let aws = AWSCLI(server: try MotoServer.shared())
        let bucket = try aws.makeLockedBucket()
        let (store, location) = try store(bucket: bucket, storageClass: "STANDARD_IA", objectLock: Self.lock)
        let backup = try StoreContract.publish(S3StoreTests.bytes(5_000), at: 0, in: store)
        for name in [backup.manifest.file, backup.id.stem + BackupName.manifestSuffix] {
            let head = try aws.head(bucket, location.prefix + "app/" + name)
            #expect(head["StorageClass"] as? String == "STANDARD_IA", "\(name): \(head)")
            #expect(head["ObjectLockMode"] as? String == "GOVERNANCE", "\(name): \(head)")
            let left = try secondsUntil(head)
            #expect(abs(left - 30 * 86_400) < 600, "\(name) is locked for \(left) s, not 30 days")
        }
        #expect(try store.backups(of: "app") == [backup])
    }

    @Test("a multipart backup asks for the storage class and the lock when its upload is created")
    func multipartLocked() throws {
        let aws = AWSCLI(server: try MotoServer.shared())
        let bucket = try aws.makeLockedBucket()
        let proxy = try FaultProxy()
        let (store, location) = try store(
            bucket: bucket, storageClass: "STANDARD_IA", objectLock: S3Location.ObjectLock(mode: .compliance, days: 2),
            endpoint: proxy.endpoint, options: S3Store.Options(partSize: 5 << 20))
        let backup = try StoreContract.publish(S3StoreTests.bytes(11 << 20), at: 0, in: store)
        // moto keeps neither of a multipart upload's lock headers: what was asked is read at the proxy.
        let written = try proxy.report().written
        let dataPath = "/\(bucket)/\(location.prefix)app/\(backup.manifest.file)"
        let creation = try #require(written.first { $0.path.removingPercentEncoding == dataPath }, "\(written)")
        #expect(creation.method == "POST" && creation.query.contains("uploads"), "\(creation)")
        #expect(creation.headers["x-amz-storage-class"] == "STANDARD_IA")
        #expect(creation.headers["x-amz-object-lock-mode"] == "COMPLIANCE")
        let until = try #require(creation.headers["x-amz-object-lock-retain-until-date"].flatMap(S3Retention.date))
        #expect(abs(until.timeIntervalSinceNow - 2 * 86_400) < 600, "\(until)")
        // The parts carry no settings of their own, and each its Content-MD5 (S3 requires it with a lock).
        #expect(!written.contains { $0.query.contains("partNumber") }, "\(written)")
        #expect(
            try aws.head(bucket, location.prefix + "app/" + backup.manifest.file)["StorageClass"] as? String
                == "STANDARD_IA")
    }

    @Test("the lease and intent objects get no storage class or lock; a store without the keys sends none")
    func smallObjectsPlain() throws {
        let server = try MotoServer.shared()
        let proxy = try FaultProxy()
        let (store, _) = try store(bucket: server.bucket, endpoint: proxy.endpoint)
        _ = try StoreContract.publish(S3StoreTests.bytes(5_000), at: 0, in: store)
        #expect(try proxy.report().written.isEmpty)

        let aws = AWSCLI(server: server)
        let bucket = try aws.makeLockedBucket()
        let locking = try FaultProxy()
        let (lockedStore, _) = try self.store(
            bucket: bucket, storageClass: "STANDARD_IA", objectLock: Self.lock, endpoint: locking.endpoint)
        let lock = try lockedStore.lock(database: "app")
        _ = try StoreContract.publish(S3StoreTests.bytes(5_000), at: 0, in: lockedStore)
        lock.release()
        let names = try locking.report().written.map { $0.path.split(separator: "/").last.map(String.init) ?? "" }
        #expect(names.count == 2 && names.allSatisfy { !$0.hasPrefix(".") }, "\(names)")
    }

    @Test(
        "a prune keeps a backup still locked and says until when; once its lock has passed it deletes every version"
    )
    func pruneUnderLock() throws {
        let aws = AWSCLI(server: try MotoServer.shared())
        let bucket = try aws.makeLockedBucket()
        let (store, location) = try store(
            bucket: bucket, objectLock: S3Location.ObjectLock(mode: .governance, days: 1))
        let old = try StoreContract.publish(S3StoreTests.bytes(5_000), at: 0, in: store)
        let new = try StoreContract.publish(S3StoreTests.bytes(5_000), at: 60, in: store)
        let records = LogRecorder()
        let logger = records.logger
        let policy = RetentionPolicy(keepLast: 1)

        // --dry-run asks S3 too: it shows the locked backup kept, as the prune will.
        let planned = try Pruner().plan("app", in: store, policy: policy, timeZone: .utc)
        let plannedOld = try #require(planned.first { $0.backup == old })
        #expect(plannedOld.action == .keep && plannedOld.reasons.joined().hasPrefix("locked until "), "\(planned)")
        let decisions = try Pruner().prune("app", in: store, policy: policy, timeZone: .utc, logger: logger)
        let kept = try #require(decisions.first { $0.backup == old })
        #expect(kept.action == .keep, "\(kept)")
        let reason = kept.reasons.joined()
        #expect(reason.hasPrefix("locked until ") && reason.contains("no rule keeps it"), "\(reason)")
        #expect(try store.backups(of: "app") == [new, old])
        let messages = records.entries.map(\.message)
        #expect(messages.contains { $0.contains("the store keeps it locked until") }, "\(messages)")
        #expect(records.entries(.pruned).isEmpty && decisions.allSatisfy(\.isKept))

        // The lock runs out (shortened here as a governance lock may be): the prune deletes for good.
        let folder = location.prefix + "app/"
        for name in [old.manifest.file, old.id.stem + BackupName.manifestSuffix] {
            _ = try aws.json([
                "put-object-retention", "--bucket", bucket, "--key", folder + name, "--bypass-governance-retention",
                "--retention", "Mode=GOVERNANCE,RetainUntilDate=2020-01-01T00:00:00Z",
            ])
        }
        // A legal hold (here on the data object) keeps it whatever the retention says, until lifted.
        let legalHold = [
            "put-object-legal-hold", "--bucket", bucket, "--key", folder + old.manifest.file, "--legal-hold",
        ]
        _ = try aws.json(legalHold + ["Status=ON"])
        let held = try Pruner().prune("app", in: store, policy: policy, timeZone: .utc, logger: logger)
        let heldReason = held.first { $0.backup == old }?.reasons.joined() ?? ""
        #expect(heldReason.hasPrefix("locked with no end date (a legal hold)"), "\(held)")
        #expect(try store.backups(of: "app") == [new, old])
        _ = try aws.json(legalHold + ["Status=OFF"])

        let later = try Pruner().prune("app", in: store, policy: policy, timeZone: .utc, logger: logger)
        #expect(later.first { $0.backup == old }?.action == .delete)
        #expect(try store.backups(of: "app") == [new])
        // No version of the old backup is left behind a delete marker, billed and unlisted.
        let left = try aws.versions(bucket, prefix: folder + old.id.stem)
        #expect(left.isEmpty, "\(left)")
    }

    @Test("check-store on a locked bucket says Object Lock is on; on a bucket without it, it fails naming the fix")
    func checkStore() throws {
        let server = try MotoServer.shared()
        let aws = AWSCLI(server: server)
        let (locked, _) = try store(
            bucket: try aws.makeLockedBucket(), storageClass: "STANDARD_IA", objectLock: Self.lock)
        let report = try StoreCheck().run(locked)
        #expect(report.notes.contains { $0.contains("has Object Lock enabled") }, "\(report.notes)")
        #expect(report.notes.contains { $0.contains("storage class STANDARD_IA") }, "\(report.notes)")
        #expect(try locked.backups(of: StoreCheck.database).isEmpty)

        // The shared bucket was made without Object Lock.
        let (unlocked, _) = try store(bucket: server.bucket, objectLock: Self.lock)
        let failure = try #require(throws: StoreCheck.Failure.self) { try StoreCheck().run(unlocked) }
        #expect(failure.step == .settings)
        let message = "\(failure)"
        #expect(message.contains("does not have Object Lock enabled"), "\(message)")
        #expect(
            message.contains("create the bucket with Object Lock enabled") && message.contains("remove object_lock"))

        // A backup to it fails saying the same, and nothing is listed.
        let error = try #require(throws: S3Error.self) {
            try StoreContract.publish(S3StoreTests.bytes(5_000), at: 0, in: unlocked)
        }
        #expect(error.code == .objectLockNotEnabled, "\(error)")
        #expect("\(error)".contains("remove object_lock from the store"), "\(error)")
        #expect(try unlocked.backups(of: "app").isEmpty)
    }

    @Test("litesafe check-store prints what it found of the bucket's Object Lock, and fails without it naming the fix")
    func checkStoreCommand() throws {
        let server = try MotoServer.shared()
        let aws = AWSCLI(server: server)
        let folder = try TemporaryDirectory("litesafe-s3-check")
        let credentials = folder.path + "/s3.credentials"
        FileManager.default.createFile(
            atPath: credentials,
            contents: Data(
                "[default]\naws_access_key_id = \(server.accessKeyID)\naws_secret_access_key = \(server.secretAccessKey)\n"
                    .utf8),
            attributes: [.posixPermissions: 0o600])
        try Fixtures.makeDatabase(at: folder.path + "/app.db", rows: 10)
        func checkStore(bucket: String) throws -> ProcessResult {
            let config = folder.path + "/litesafe.yml"
            try """
            state_directory: \(folder.path)
            stores:
              offsite:
                s3:
                  bucket: \(bucket)
                  prefix: \(MotoServer.uniquePrefix())
                  region: \(server.region)
                  endpoint: \(server.endpoint)
                  path_style: true
                  credentials: \(credentials)
                  storage_class: STANDARD_IA
                  object_lock: { mode: compliance, days: 7 }
            databases:
              - name: app
                path: \(folder.path)/app.db
                stores: [offsite]
                encryption: none
            """.write(toFile: config, atomically: true, encoding: .utf8)
            return try Subprocess.run(
                Subprocess.litesafe, ["check-store", "--config", config], environment: ["HOME": folder.path])
        }

        let passed = try checkStore(bucket: try aws.makeLockedBucket())
        #expect(passed.status == 0, "\(passed)")
        #expect(passed.output.contains("): ok: wrote, listed, read back and deleted"), "\(passed)")
        #expect(passed.output.contains("has Object Lock enabled; backups are written locked (compliance, 7 days)"))
        #expect(passed.output.contains("backups are written with storage class STANDARD_IA"), "\(passed)")

        let failed = try checkStore(bucket: server.bucket)
        #expect(failed.status == 1, "\(failed)")
        #expect(failed.output.contains("FAILED to check the store's settings"), "\(failed)")
        #expect(failed.output.contains("create the bucket with Object Lock enabled"), "\(failed)")
    }

    /// A private CA and a certificate it signed for 127.0.0.1, made by `openssl` for this test only.
    static func privateCA(in folder: TemporaryDirectory) throws -> (ca: String, cert: String, key: String) {
        let (ca, caKey) = (folder.path + "/ca.pem", folder.path + "/ca-key.pem")
        let (cert, key, request) = (folder.path + "/cert.pem", folder.path + "/key.pem", folder.path + "/cert.csr")
        for arguments in [
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=litesafe test CA", "-keyout", caKey, "-out", ca,
            ],
            [
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
                "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", request,
            ],
            [
                "x509", "-req", "-in", request, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-days", "1",
                "-copy_extensions", "copy", "-out", cert,
            ],
        ] {
            let result = try Subprocess.run("openssl", arguments)
            try #require(result.status == 0, "\(result)")
        }
        return (ca, cert, key)
    }

    @Test("an endpoint with a private CA: refused naming the endpoint and ca_file, trusted with ca_file")
    func privateCertificateAuthority() throws {
        let folder = try TemporaryDirectory("litesafe-s3-ca")
        let (ca, cert, key) = try Self.privateCA(in: folder)
        let proxy = try FaultProxy(tls: (cert, key))
        let server = try MotoServer.shared()

        let (untrusting, _) = try store(bucket: server.bucket, endpoint: proxy.endpoint)
        let error = try #require(throws: S3Error.self) { try untrusting.listing(of: "app") }
        #expect(error.code == .unreachable && error.underlying?.code == .tlsFailure, "\(error)")
        #expect(error.attempts == 1, "a certificate refused is not tried again")
        let message = "\(error)"
        #expect(message.contains(proxy.endpoint), "\(message)")
        #expect(message.contains("certificate") && message.contains("ca_file"), "\(message)")

        let (trusting, _) = try store(bucket: server.bucket, endpoint: proxy.endpoint, caFile: ca)
        let bytes = S3StoreTests.bytes(5_000)
        let backup = try StoreContract.publish(bytes, at: 0, in: trusting)
        #expect(try trusting.backups(of: "app") == [backup])
        #expect(try StoreContract.readBack(backup, from: trusting) == bytes)
        // Only that store trusts the CA: the first still refuses it.
        #expect(throws: S3Error.self) { try untrusting.listing(of: "app") }
    }
}
