import Foundation
import HTTP
import LiteSafeCore
import Logging
import ObjectStore
import S3
import TestSupport
import Testing

/// The S3 store through `Tests/tools/s3-fault-proxy.py` in front of moto: S3 slowing it down,
/// connections dropped mid-download, a store failing for longer than the retries last.
@Suite("The S3 store under faults")
struct S3FaultTests {
    static let retry = S3Client.RetryPolicy(attempts: 4, baseDelay: .milliseconds(1), maximumDelay: .milliseconds(10))

    @Test("a backup to S3 is confirmed by the HEAD of its checksum, not downloaded again")
    func backupIsNotDownloadedAgain() throws {
        let proxy = try FaultProxy()
        let subject = try S3StoreSubject(options: S3Store.Options(retry: Self.retry), endpoint: proxy.endpoint)
        let folder = try TemporaryDirectory("litesafe-s3-readback")
        let source = folder.path + "/app.db"
        try Fixtures.makeDatabase(at: source, rows: 300)
        let database = DatabaseConfiguration(
            name: "app", path: source, store: .directory(folder.path), encryption: .none)
        let configuration = Configuration(stateDirectory: folder.path, databases: [database], sourceFile: "test.yml")
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let result = try BackupEngine().backUp(
            configuration.backupJob(for: database, stores: OneStore(store: subject.store)), logger: logger)
        let gets = try proxy.report().gets
        #expect(!gets.contains { $0.hasSuffix("/" + result.backup.manifest.file) }, "\(gets)")
        // What the engine skipped is still checked where it counts: the store reads back whole.
        var read = 0
        try subject.store.read(result.backup) { read += $0.count }
        #expect(Int64(read) == result.backup.manifest.storedSize)
    }

    /// A factory that hands out one store, whatever the location.
    struct OneStore: StoreFactory {
        let store: any BackupStore
        func makeStore(at location: StoreLocation) -> any BackupStore { store }
    }

    @Test("503 SlowDown is retried on every kind of request: publish, list, read and delete go through")
    func slowDown() throws {
        let proxy = try FaultProxy()
        let subject = try S3StoreSubject(options: S3Store.Options(retry: Self.retry), endpoint: proxy.endpoint)
        let bytes = S3StoreTests.bytes(3000)
        try proxy.arm("slowdown", count: 3)
        let backup = try StoreContract.publish(bytes, at: 0, in: subject.store)
        try proxy.arm("slowdown", count: 3)
        #expect(try subject.store.backups(of: "app") == [backup])
        try proxy.arm("slowdown", count: 3)
        #expect(try StoreContract.readBack(backup, from: subject.store) == bytes)
        try proxy.arm("slowdown", count: 3)
        try subject.store.delete(backup)
        #expect(try subject.store.backups(of: "app").isEmpty)
        #expect(try proxy.report().served["slowdown"] == 12)
    }

    @Test("a download dropped mid-body goes on from where it broke (Range), and the bytes are whole")
    func droppedDownload() throws {
        let proxy = try FaultProxy()
        let subject = try S3StoreSubject(options: S3Store.Options(retry: Self.retry), endpoint: proxy.endpoint)
        let bytes = S3StoreTests.bytes(1 << 20)
        let backup = try StoreContract.publish(bytes, at: 0, in: subject.store)
        try proxy.arm("drop-get", count: 2)
        #expect(try StoreContract.readBack(backup, from: subject.store) == bytes)
        let report = try proxy.report()
        #expect(report.served["drop-get"] == 2)
        // Half the object, then half of the rest: each asked again from the first byte missing.
        #expect(report.ranges == ["bytes=\(bytes.count / 2)-", "bytes=\(bytes.count / 2 + bytes.count / 4)-"])
    }

    @Test("a data PUT stored but its answer lost: the retry's 412 is recognised as our own object, not a clash")
    func lostAnswer() throws {
        let proxy = try FaultProxy()
        let subject = try S3StoreSubject(options: S3Store.Options(retry: Self.retry), endpoint: proxy.endpoint)
        let bytes = S3StoreTests.bytes(2000)
        // The intent object's PUT passes; the data PUT reaches moto, and its answer never comes back.
        try proxy.arm("drop-answer", count: 1, after: 1)
        let backup = try StoreContract.publish(bytes, at: 0, in: subject.store)
        #expect(try proxy.report().served["drop-answer"] == 1)
        #expect(try subject.store.backups(of: "app") == [backup])
        #expect(try StoreContract.readBack(backup, from: subject.store) == bytes)
    }

    @Test(
        "a PUT or a part stored with a byte flipped on the way (moto checks no digest): the HEAD's ETag or checksum catches it, nothing listed",
        arguments: [100, 11 << 20])
    func corruptedBody(size: Int) throws {
        let proxy = try FaultProxy()
        let subject = try S3StoreSubject(
            options: S3Store.Options(partSize: 5 << 20, retry: Self.retry), endpoint: proxy.endpoint)
        let kept = try StoreContract.publish(S3StoreTests.bytes(100), at: 0, in: subject.store)
        let stem = BackupName.stem(database: "app", date: Date(timeIntervalSince1970: 1_795_694_460))
        // The data PUT, or the second of three parts.
        try proxy.arm("corrupt-put", count: 1, after: size > 5 << 20 ? 1 : 0)
        let pending = try subject.store.beginBackup(database: "app", stem: stem, dataExtension: ".sqlite")
        try S3StoreTests.bytes(size).withUnsafeBytes { try pending.write($0) }
        let manifest = try StoreContract.manifest(created: Date(), file: pending.fileName, bytes: [])
        let error = try #require(throws: S3StoreError.self) { try pending.commit(manifest: manifest) }
        guard case .checksumMismatch = error else {
            Issue.record("expected a checksum mismatch, got \(error)")
            return
        }
        #expect(try proxy.report().served["corrupt-put"] == 1)
        #expect(try subject.store.listing(of: "app") == StoreListing(backups: [kept]))
        #expect(!(try subject.store.isTaken(stem: stem, database: "app")))
        #expect(try subject.client.listMultipartUploads(prefix: subject.location.prefix).isEmpty)
    }

    @Test("parts go up three at a time, never more, and the object reads back whole")
    func partsInParallel() throws {
        let proxy = try FaultProxy()
        let subject = try S3StoreSubject(
            options: S3Store.Options(partSize: 5 << 20, partsInFlight: 3, retry: Self.retry), endpoint: proxy.endpoint)
        // Every part is held at the proxy until three are there: one at a time would never get on.
        try proxy.arm("gather-parts", count: 3)
        let bytes = S3StoreTests.bytes(6 * (5 << 20) + 7)
        let backup = try StoreContract.publish(bytes, at: 0, in: subject.store)
        #expect(try proxy.report().mostPartsInFlight == 3)
        #expect(try StoreContract.readBack(backup, from: subject.store) == bytes)
        #expect(try subject.client.listMultipartUploads(prefix: subject.location.prefix).isEmpty)
    }

    @Test("a part failing past the retries while others are in flight: the upload is aborted, nothing listed")
    func failingPart() throws {
        let proxy = try FaultProxy()
        let subject = try S3StoreSubject(
            options: S3Store.Options(partSize: 5 << 20, partsInFlight: 3, retry: Self.retry), endpoint: proxy.endpoint)
        let stem = BackupName.stem(database: "app", date: Date(timeIntervalSince1970: 1_795_694_520))
        let pending = try subject.store.beginBackup(database: "app", stem: stem, dataExtension: ".sqlite")
        // CreateMultipartUpload passes; from the first part on, S3 slows down for longer than the retries.
        try proxy.arm("slowdown", count: 1000, after: 1)
        let failed = #expect(throws: S3Error.self) {
            try S3StoreTests.bytes(5 << 20).withUnsafeBytes { part in
                for _ in 0..<8 { try pending.write(part) }
            }
            try pending.commit(
                manifest: try StoreContract.manifest(created: Date(), file: pending.fileName, bytes: []))
        }
        #expect(failed?.s3Code == "SlowDown")
        // S3 back: the abort that failed while it was down is made again by `abandon`, as the engine calls it.
        try proxy.arm("slowdown", count: 0)
        pending.abandon()
        #expect(try subject.client.listMultipartUploads(prefix: subject.location.prefix).isEmpty)
        #expect(try subject.store.listing(of: "app") == StoreListing())
    }

    @Test(
        "a stop cancels the parts under way: the commit fails as cancelled, nothing listed; the next cleanup aborts the upload"
    )
    func cancelledUpload() throws {
        let proxy = try FaultProxy()
        let cancellation = HTTPCancellation()
        let subject = try S3StoreSubject(
            options: S3Store.Options(partSize: 5 << 20, retry: Self.retry, cancellation: cancellation),
            endpoint: proxy.endpoint)
        // Every part is held at the proxy for 10 s (a thousand never gather): without the
        // cancellation, they would go through and the backup would be published.
        try proxy.arm("gather-parts", count: 1000)
        let stem = BackupName.stem(database: "app", date: Date(timeIntervalSince1970: 1_795_694_580))
        let pending = try subject.store.beginBackup(database: "app", stem: stem, dataExtension: ".sqlite")
        try S3StoreTests.bytes(11 << 20).withUnsafeBytes { try pending.write($0) }
        #expect(try eventually { try proxy.report().mostPartsInFlight == 2 })
        cancellation.cancel()
        let error = try #require(throws: S3Error.self) {
            try pending.commit(manifest: try StoreContract.manifest(created: Date(), file: pending.fileName, bytes: []))
        }
        #expect(error.code == .cancelled)
        pending.abandon()

        let after = S3Store(subject.location, environment: S3StoreSubject.environment(subject.server))
        #expect(try after.listing(of: "app") == StoreListing())
        let lock = try after.lock(database: "app")
        defer { lock.release() }
        _ = try after.removeLeftovers(database: "app")
        #expect(try after.client().listMultipartUploads(prefix: subject.location.prefix).isEmpty)
    }

    @Test(
        "a job's cancellation (the daemon's stop) reaches the requests under way through the factory: they end as cancelled"
    )
    func jobCancellationReachesRequests() throws {
        let proxy = try FaultProxy()
        let subject = try S3StoreSubject(endpoint: proxy.endpoint)
        let factory = S3StoreFactory(
            environment: S3StoreSubject.environment(subject.server),
            options: S3Store.Options(partSize: 5 << 20, retry: Self.retry))
        let cancellation = Cancellation()
        let store = factory.makeStore(at: .s3(subject.location), cancellation: cancellation)
        // Held at the proxy for 10 s: only a cancelled request ends sooner, and it ends as one.
        try proxy.arm("gather-parts", count: 1000)
        let stem = BackupName.stem(database: "app", date: Date(timeIntervalSince1970: 1_795_694_640))
        let pending = try store.beginBackup(database: "app", stem: stem, dataExtension: ".sqlite")
        try S3StoreTests.bytes(11 << 20).withUnsafeBytes { try pending.write($0) }
        #expect(try eventually { try proxy.report().mostPartsInFlight == 2 })
        cancellation.cancel()
        let error = try #require(throws: S3Error.self) {
            try pending.commit(manifest: try StoreContract.manifest(created: Date(), file: pending.fileName, bytes: []))
        }
        #expect(error.code == .cancelled)
        pending.abandon()
        #expect(try subject.store.listing(of: "app") == StoreListing())
        // A store made without the cancellation is not stopped by it.
        let other = factory.makeStore(at: .s3(subject.location))
        #expect(try other.listing(of: "app") == StoreListing())
    }

    @Test("a backup whose stores are known clean sends no LIST (its name is checked with HEADs); a cleanup lists twice")
    func noListBeforeABackup() throws {
        let proxy = try FaultProxy()
        let subject = try S3StoreSubject(endpoint: proxy.endpoint)
        let folder = try TemporaryDirectory("litesafe-s3-lists")
        let source = folder.path + "/app.db"
        try Fixtures.makeDatabase(at: source, rows: 50)
        var job = BackupJob(
            name: "app", sourcePath: source, store: subject.store, stagingDirectory: folder.path + "/staging",
            compression: .none, encryption: .none)
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        job.removesLeftovers = false
        let first = try BackupEngine().backUp(job, logger: logger)
        #expect(try proxy.report().requests["LIST", default: 0] == 0)
        job.removesLeftovers = true
        let second = try BackupEngine().backUp(job, logger: logger)
        // The objects under the database's prefix, and its unfinished uploads.
        #expect(try proxy.report().requests["LIST", default: 0] == 2)
        #expect(try subject.store.backups(of: "app").map(\.id) == [second.backup.id, first.backup.id])
    }

    @Test("a store failing past the retries during a backup: an error naming SlowDown, nothing listed, cleaned up")
    func failingCommit() throws {
        let proxy = try FaultProxy()
        let subject = try S3StoreSubject(options: S3Store.Options(retry: Self.retry), endpoint: proxy.endpoint)
        let kept = try StoreContract.publish(S3StoreTests.bytes(100), at: 0, in: subject.store)
        let stem = BackupName.stem(database: "app", date: Date(timeIntervalSince1970: 1_795_694_460))
        let pending = try subject.store.beginBackup(database: "app", stem: stem, dataExtension: ".sqlite")
        try S3StoreTests.bytes(100).withUnsafeBytes { try pending.write($0) }
        // The intent object goes up; the data PUT meets S3 slowing down for longer than the retries.
        try proxy.arm("slowdown", count: 100, after: 1)
        let manifest = try StoreContract.manifest(created: Date(), file: pending.fileName, bytes: [])
        let error = try #require(throws: S3Error.self) { try pending.commit(manifest: manifest) }
        #expect(error.s3Code == "SlowDown" && error.attempts == Self.retry.attempts)
        #expect("\(error)".contains("SlowDown"))
        try proxy.arm("slowdown", count: 0)
        #expect(try subject.store.listing(of: "app") == StoreListing(backups: [kept]))
        let lock = try subject.store.lock(database: "app")
        defer { lock.release() }
        _ = try subject.store.removeLeftovers(database: "app")
        #expect(!(try subject.store.isTaken(stem: stem, database: "app")))
        #expect(try subject.store.backups(of: "app") == [kept])
    }
}

/// `Tests/tools/s3-fault-proxy.py` in front of the shared moto server, for one test.
final class FaultProxy {
    let process = Process()
    let lifeline = Pipe()
    let port: Int
    let scheme: String
    /// The certificate an HTTPS proxy serves, which its clients must trust.
    let caFile: String?

    /// A proxy speaking HTTP, or with `tls` HTTPS with that certificate and key.
    init(tls: (cert: String, key: String)? = nil) throws {
        let server = try MotoServer.shared()
        process.executableURL = URL(fileURLWithPath: MotoServer.python)
        process.arguments =
            ["\(Fixtures.toolsFolder)/s3-fault-proxy.py", "\(server.port)"]
            + (tls.map { ["--tls", $0.cert, $0.key] } ?? [])
        scheme = tls == nil ? "http" : "https"
        caFile = tls?.cert
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = lifeline
        try process.run()
        var line: [UInt8] = []
        var descriptor = pollfd(fd: output.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
        while !line.contains(UInt8(ascii: "\n")) {
            guard poll(&descriptor, 1, 30_000) == 1 else {
                process.terminate()
                throw MotoServerError("the fault proxy printed no port within 30 s")
            }
            let piece = output.fileHandleForReading.availableData
            if piece.isEmpty { throw MotoServerError("the fault proxy exited before printing its port") }
            line += piece
        }
        port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    deinit {
        try? lifeline.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }

    var endpoint: String { "\(scheme)://127.0.0.1:\(port)" }

    /// Arms `fault` for the next `count` requests it applies to, once `after` requests have passed.
    func arm(_ fault: String, count: Int, after: Int = 0) throws {
        _ = try control("POST", "/fault-proxy/arm?fault=\(fault)&count=\(count)&after=\(after)")
    }

    struct Report: Decodable {
        let served: [String: Int]
        let ranges: [String]
        let requests: [String: Int]
        let gets: [String]
        let mostPartsInFlight: Int
        let written: [Written]
    }

    /// A request that carried storage class or object lock headers.
    struct Written: Decodable {
        let method: String
        let path: String
        let query: String
        /// The headers, by lower-case name.
        let headers: [String: String]
    }

    func report() throws -> Report {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Report.self, from: Data(control("GET", "/fault-proxy/report")))
    }

    private func control(_ method: String, _ path: String) throws -> [UInt8] {
        let response = try HTTPClient(configuration: .init(extraCAFile: caFile)).send(
            HTTPRequest(method: method, url: endpoint + path))
        guard response.status == 200 else { throw MotoServerError("fault proxy \(path): HTTP \(response.status)") }
        return response.body
    }
}
