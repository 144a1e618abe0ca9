import Foundation
import LiteSafeCore
import ObjectStore
import S3
import TestSupport
import Testing

/// What the S3 store does beyond the contract, on moto with signatures checked.
@Suite("The S3 store")
struct S3StoreTests {
    static func bytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var generator = SystemRandomNumberGenerator()
            for offset in stride(from: 0, to: count - count % 8, by: 8) {
                buffer.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
            }
        }
        return bytes
    }

    @Test("a wrong secret: SignatureDoesNotMatch, at once, named with the bucket and request id, no secret printed")
    func wrongSecret() throws {
        let wrong = "wrong-secret-" + String(UInt64.random(in: 0...UInt64.max))
        let subject = try S3StoreSubject(secret: wrong)
        let error = try #require(throws: S3Error.self) { try subject.store.listing(of: "app") }
        #expect(error.code == .credentialsRejected)
        #expect(error.s3Code == "SignatureDoesNotMatch")
        #expect(error.attempts == 1)
        let message = "\(error)"
        #expect(message.contains("S3 rejected the credentials for bucket \(subject.server.bucket)"))
        #expect(message.contains("SignatureDoesNotMatch") && message.contains("request id"))
        #expect(!message.contains(wrong) && !message.contains(subject.server.secretAccessKey))
    }

    @Test("a backup larger than a part goes up in parts, reads back whole, and leaves no upload behind")
    func multipart() throws {
        let subject = try S3StoreSubject(options: S3Store.Options(partSize: 5 << 20))
        let bytes = Self.bytes(11 << 20 + 12345)
        let backup = try StoreContract.publish(bytes, at: 0, in: subject.store)
        #expect(try StoreContract.readBack(backup, from: subject.store) == bytes)
        let client = try subject.client
        let head = try #require(try client.head(key: subject.key("app", backup.manifest.file)))
        // A multipart object's ETag is "<md5 of the parts' md5s>-<number of parts>".
        #expect(head.etag.hasSuffix("-3\"") && head.size == bytes.count)
        #expect(try client.listMultipartUploads(prefix: subject.location.prefix).isEmpty)
        #expect(try subject.store.backups(of: "app") == [backup])
    }

    @Test("the ETag a retried CompleteMultipartUpload is checked against is the one the server gives")
    func multipartETag() throws {
        let subject = try S3StoreSubject()
        let client = try subject.client
        let key = subject.key("app", "etag-check")
        let upload = try client.createMultipartUpload(key: key)
        let parts = [
            try client.uploadPart(key: key, uploadID: upload, number: 1, bytes: Self.bytes(5 << 20)),
            try client.uploadPart(key: key, uploadID: upload, number: 2, bytes: [1]),
        ]
        let etag = try client.completeMultipartUpload(key: key, uploadID: upload, parts: parts, ifNoneMatch: true)
        #expect(etag == S3Client.multipartETag(parts) && etag.hasSuffix("-2\""))
        #expect(try client.head(key: key)?.etag == etag)
    }

    @Test("parts keep their size for 9,000 parts, then grow, so S3's 10,000 parts hold a backup of over a TiB")
    func partSizes() {
        let base = 8 << 20
        let options = S3Store.Options(partSize: base)
        #expect(options.partSize(number: 1) == base)
        #expect(options.partSize(number: 9_000) == base)
        #expect(options.partSize(number: 9_001) == 2 * base)
        #expect(options.partSize(number: 9_101) == 4 * base)
        let total = (1...10_000).reduce(Int64(0)) { $0 + Int64(options.partSize(number: $1)) }
        #expect(total >= 1 << 40)
        #expect((1...10_000).allSatisfy { options.partSize(number: $0) <= 5 << 30 })
    }

    @Test("a backup of exactly one part goes up in one PUT")
    func onePart() throws {
        let subject = try S3StoreSubject(options: S3Store.Options(partSize: 5 << 20))
        let backup = try StoreContract.publish(Self.bytes(5 << 20), at: 0, in: subject.store)
        let head = try #require(try subject.client.head(key: subject.key("app", backup.manifest.file)))
        #expect(!head.etag.contains("-"))
    }

    @Test("an abandoned multipart backup aborts its upload; one a killed run left is aborted by the cleanup")
    func unfinishedUploads() throws {
        let subject = try S3StoreSubject(options: S3Store.Options(partSize: 5 << 20))
        let client = try subject.client
        let stem = BackupName.stem(database: "app", date: Date(timeIntervalSince1970: 1_795_694_400))
        let pending = try subject.store.beginBackup(database: "app", stem: stem, dataExtension: ".sqlite")
        try Self.bytes(6 << 20).withUnsafeBytes { try pending.write($0) }
        #expect(try client.listMultipartUploads(prefix: subject.location.prefix).count == 1)
        pending.abandon()
        #expect(try client.listMultipartUploads(prefix: subject.location.prefix).isEmpty)

        // As a run killed mid-upload leaves it: a part up, never completed nor aborted.
        let key = subject.key("app", stem + ".sqlite")
        let upload = try client.createMultipartUpload(key: key)
        _ = try client.uploadPart(key: key, uploadID: upload, number: 1, bytes: Self.bytes(5 << 20))
        let lock = try subject.store.lock(database: "app")
        defer { lock.release() }
        let leftovers = try subject.store.removeLeftovers(database: "app")
        #expect(leftovers.removed == ["\(subject.location)app/\(stem).sqlite (unfinished upload)"])
        #expect(try client.listMultipartUploads(prefix: subject.location.prefix).isEmpty)
        #expect(try subject.store.backups(of: "app").isEmpty)
    }

    @Test("listings page through more keys than one page holds")
    func paging() throws {
        let subject = try S3StoreSubject(options: S3Store.Options(pageSize: 2))
        var published: [StoredBackup] = []
        for index in 0..<5 {
            published.append(try StoreContract.publish([UInt8(index)], at: Double(index * 60), in: subject.store))
        }
        for database in ["other", "third"] {
            try StoreContract.publish([1], at: 0, in: subject.store, database: database)
        }
        #expect(try subject.store.backups(of: "app") == published.reversed())
        #expect(try subject.store.databases() == ["app", "other", "third"])
    }

    @Test("a name taken by another writer: the data PUT's 412 is a clash, and the first backup is untouched")
    func dataClash() throws {
        let subject = try S3StoreSubject()
        let first = try StoreContract.publish(Self.bytes(100), at: 0, in: subject.store)
        let original = try StoreContract.readBack(first, from: subject.store)
        let other = subject.sameLocation()
        let pending = try other.beginBackup(database: "app", stem: first.id.stem, dataExtension: ".sqlite")
        try [UInt8](repeating: 7, count: 10).withUnsafeBytes { try pending.write($0) }
        let error = try #require(throws: S3StoreError.self) { try pending.commit(manifest: first.manifest) }
        guard case .nameTaken(let location) = error else {
            Issue.record("not a clash: \(error)")
            return
        }
        #expect(location == first.dataLocation)
        #expect(try StoreContract.readBack(first, from: subject.store) == original)
        #expect(try subject.store.listing(of: "app") == StoreListing(backups: [first]))
        let intents = try subject.client.listAll(prefix: subject.location.prefix + "app/" + S3Store.intentPrefix)
        #expect(intents.isEmpty)
    }

    @Test("a manifest name taken: the manifest PUT's 412 is a clash, and the new data object is removed")
    func manifestClash() throws {
        let subject = try S3StoreSubject()
        let first = try StoreContract.publish(Self.bytes(100), at: 0, in: subject.store)
        let pending = try subject.sameLocation().beginBackup(
            database: "app", stem: first.id.stem, dataExtension: ".sqlite.zst")
        try [UInt8](repeating: 7, count: 10).withUnsafeBytes { try pending.write($0) }
        var manifest = first.manifest
        manifest.file = pending.fileName
        manifest.storedSize = 10
        let error = try #require(throws: S3StoreError.self) { try pending.commit(manifest: manifest) }
        guard case .nameTaken(let location) = error else {
            Issue.record("not a clash: \(error)")
            return
        }
        #expect(location.hasSuffix(first.id.stem + BackupName.manifestSuffix))
        let keys = try subject.client.listAll(prefix: subject.location.prefix + "app/").map(\.key)
        #expect(
            keys.map { String($0.split(separator: "/").last!) }.sorted()
                == [first.manifest.file, first.id.stem + BackupName.manifestSuffix].sorted())
    }

    @Test("the lease: a live one is busy, an expired one is taken over, and a release leaves another's alone")
    func lease() throws {
        let subject = try S3StoreSubject()
        let client = try subject.client
        let key = subject.key("app", S3Store.leaseName)
        func lease(expiresIn seconds: Int) -> [UInt8] {
            let epoch = Int(Date().timeIntervalSince1970) + seconds
            return Array(#"{"holder":"another host pid 1","expires_epoch":\#(epoch)}"#.utf8)
        }
        try client.put(key: key, bytes: lease(expiresIn: 600))
        #expect(throws: BackupError.self) { try subject.store.lock(database: "app") }
        try client.put(key: key, bytes: lease(expiresIn: -1))
        let held = try subject.store.lock(database: "app")
        #expect(throws: BackupError.self) { try subject.sameLocation().lock(database: "app") }
        // Taken over by another after it expired: releasing ours must not delete theirs.
        try client.put(key: key, bytes: lease(expiresIn: 600))
        held.release()
        let (bytes, _) = try #require(try client.getSmall(key: key, limit: 1000))
        #expect(String(decoding: bytes, as: UTF8.self).contains("another host"))
        try client.delete(key: key)
        try subject.store.lock(database: "app").release()
        #expect(try client.head(key: key) == nil)
        // Dropped without release: its deinit releases it (the renewing thread must not keep it).
        _ = try subject.store.lock(database: "app")
        #expect(try client.head(key: key) == nil)
    }

    @Test("a held lease is renewed past its duration, and nobody takes it meanwhile")
    func leaseRenewal() throws {
        let subject = try S3StoreSubject(options: S3Store.Options(leaseDuration: .seconds(3)))
        let client = try subject.client
        let key = subject.key("app", S3Store.leaseName)
        func expiry() throws -> Int {
            let (bytes, _) = try #require(try client.getSmall(key: key, limit: 1000))
            let fields = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
            return try #require(fields["expires_epoch"] as? Int)
        }
        let held = try subject.store.lock(database: "app")
        defer { held.release() }
        let first = try expiry()
        // Until the first expiry has passed by the clock the lease is judged by, then a little.
        let deadline = Date().addingTimeInterval(30)
        while Date().timeIntervalSince1970 < Double(first) + 1.5 {
            #expect(Date() < deadline, "no renewal within 30 s")
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(try expiry() > first)
        #expect(throws: BackupError.self) { try subject.sameLocation().lock(database: "app") }
    }

    @Test("credentials from a file in AWS's format; a file others can read is refused with the fix")
    func credentialsFile() throws {
        let server = try MotoServer.shared()
        let folder = try TemporaryDirectory("litesafe-s3-credentials")
        let file = folder.path + "/s3.credentials"
        let text =
            "# for tests\n[other]\naws_access_key_id = nope\n[default]\naws_access_key_id = \(server.accessKeyID)\naws_secret_access_key=\(server.secretAccessKey)\n"
        FileManager.default.createFile(atPath: file, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        let location = S3Location(
            bucket: server.bucket, prefix: MotoServer.uniquePrefix(), region: server.region, endpoint: server.endpoint,
            pathStyle: true, credentialsFile: file)
        let store = S3StoreFactory(environment: [:]).makeStore(at: .s3(location))
        #expect(try store.listing(of: "app") == StoreListing())
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        let error = try #require(throws: S3StoreError.self) {
            try S3StoreFactory(environment: [:]).makeStore(at: .s3(location)).listing(of: "app")
        }
        #expect("\(error)".contains("chmod 600 \(file)"))
        #expect(!"\(error)".contains(server.secretAccessKey))

        // A bare name is a systemd credential: without LoadCredential= the error says so, and
        // with it the name is read from $CREDENTIALS_DIRECTORY.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        var named = location
        named.credentialsFile = "s3.credentials"
        let missing = try #require(throws: S3StoreError.self) {
            try S3StoreFactory(environment: [:]).makeStore(at: .s3(named)).listing(of: "app")
        }
        #expect("\(missing)".contains("LoadCredential=s3.credentials:"), "\(missing)")
        let loaded = S3StoreFactory(environment: ["CREDENTIALS_DIRECTORY": folder.path]).makeStore(at: .s3(named))
        #expect(try loaded.listing(of: "app") == StoreListing())
    }

    @Test("the factory leaves folders to the core's stores; the core's own factory refuses S3 with the reason")
    func factoryDelegates() throws {
        #expect(S3StoreFactory().makeStore(at: .directory("/nowhere")) is DirectoryStore)
        let location = StoreLocation.s3(S3Location(bucket: "b", prefix: "db01", region: "eu-central-1"))
        #expect(location.description == "s3://b/db01/" && location.description(of: "app") == "s3://b/db01/app")
        #expect(S3StoreFactory(environment: [:]).makeStore(at: location) is S3Store)
        let error = try #require(throws: (any Error).self) {
            try StandardStoreFactory().makeStore(at: location).listing(of: "app")
        }
        #expect("\(error)".contains("S3StoreFactory"))
    }
}
