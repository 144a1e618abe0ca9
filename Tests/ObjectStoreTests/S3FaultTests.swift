import Foundation
import HTTP
import LiteSafeCore
import ObjectStore
import S3
import TestSupport
import Testing

/// The S3 store through `Tests/tools/s3-fault-proxy.py` in front of moto: S3 slowing it down,
/// connections dropped mid-download, a store failing for longer than the retries last.
@Suite("The S3 store under faults")
struct S3FaultTests {
    static let retry = S3Client.RetryPolicy(attempts: 4, baseDelay: .milliseconds(1), maximumDelay: .milliseconds(10))

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

    init() throws {
        let server = try MotoServer.shared()
        process.executableURL = URL(fileURLWithPath: MotoServer.python)
        process.arguments = ["\(Fixtures.toolsFolder)/s3-fault-proxy.py", "\(server.port)"]
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

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Arms `fault` for the next `count` requests it applies to, once `after` requests have passed.
    func arm(_ fault: String, count: Int, after: Int = 0) throws {
        _ = try control("POST", "/fault-proxy/arm?fault=\(fault)&count=\(count)&after=\(after)")
    }

    struct Report: Decodable {
        let served: [String: Int]
        let ranges: [String]
    }

    func report() throws -> Report {
        try JSONDecoder().decode(Report.self, from: Data(control("GET", "/fault-proxy/report")))
    }

    private func control(_ method: String, _ path: String) throws -> [UInt8] {
        let response = try HTTPClient().send(HTTPRequest(method: method, url: endpoint + path))
        guard response.status == 200 else { throw MotoServerError("fault proxy \(path): HTTP \(response.status)") }
        return response.body
    }
}
