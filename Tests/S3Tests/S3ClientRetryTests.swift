import Foundation
import HTTP
import S3
import TestTools
import Testing

/// Which answers `S3Client` asks again after, against `Tests/tools/http-test-server.py` (whose
/// `/status/N` answers N and `/drop/…` breaks the connection mid-body): path-style requests to the
/// "bucket" `status` or `drop` reach those paths.
@Suite("S3 client retries")
struct S3ClientRetryTests {
    static let policy = S3Client.RetryPolicy(attempts: 4, baseDelay: .milliseconds(1), maximumDelay: .milliseconds(5))

    func client(_ server: StatusServer, bucket: String) throws -> S3Client {
        try S3Client(
            S3Client.Configuration(
                bucket: bucket, region: "us-east-1", endpoint: "http://127.0.0.1:\(server.port)", pathStyle: true,
                credentials: SigV4Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "do-not-print-me"),
                credentialsSource: "the test", retry: Self.policy))
    }

    @Test("5xx, 408 and 429 are asked again until the attempts run out", arguments: [500, 503, 408, 429])
    func retried(status: Int) throws {
        let server = try StatusServer()
        let error = try #require(throws: S3Error.self) {
            try client(server, bucket: "status").getSmall(key: "\(status)", limit: 100)
        }
        #expect(error.attempts == Self.policy.attempts)
        #expect(error.status == status)
    }

    @Test("400, 403 and 404 are answers: never asked again", arguments: [400, 403, 404])
    func notRetried(status: Int) throws {
        let server = try StatusServer()
        let client = try client(server, bucket: "status")
        let error = try #require(throws: S3Error.self) {
            try client.put(key: "\(status)", bytes: [1, 2, 3])
        }
        #expect(error.attempts == 1 && client.requestCounts == ["PUT": 1])
        #expect(!"\(error)".contains("do-not-print-me"))
    }

    @Test(
        "a clock 15 minutes off and a bucket in another region are answers with their own fix, asked once",
        arguments: [
            (403, "RequestTimeTooSkewed", "this machine's clock is more than 15 minutes from S3's"),
            (400, "AuthorizationHeaderMalformed", "set the store's region (`region:`"),
            (301, "PermanentRedirect", "set the store's region (`region:`"),
        ])
    func answersWithTheirFix(status: Int, code: String, fix: String) throws {
        let server = try StatusServer()
        let client = try client(server, bucket: "s3error")
        let error = try #require(throws: S3Error.self) { try client.getSmall(key: "\(status)/\(code)", limit: 100) }
        #expect(error.attempts == 1 && error.s3Code == code && error.requestID == "test-request")
        let message = "\(error)"
        #expect(message.contains(fix), "\(message)")
        #expect(message.contains(code) && message.contains("test-request"), "\(message)")
        // Not the keys' fault: no advice to check them.
        #expect(!message.contains("check the access key"), "\(message)")
    }

    @Test("a refused connection is asked again, and the error keeps the system's reason and the endpoint")
    func refusedConnection() throws {
        // A port just closed: nothing listens there.
        let port = try StatusServer().port
        let client = try S3Client(
            S3Client.Configuration(
                bucket: "b", region: "us-east-1", endpoint: "http://127.0.0.1:\(port)", pathStyle: true,
                credentials: SigV4Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "do-not-print-me"),
                credentialsSource: "the test", retry: Self.policy))
        let error = try #require(throws: S3Error.self) { try client.put(key: "k", bytes: [1]) }
        #expect(error.code == .unreachable && error.underlying?.code == .cannotConnect, "\(error)")
        #expect(error.attempts == Self.policy.attempts)
        let message = "\(error)"
        #expect(message.contains("Connection refused"), "\(message)")
        #expect(message.contains("127.0.0.1") && message.contains("\(port)"), "\(message)")
    }

    @Test("a connection dropped mid-answer is asked again")
    func droppedConnection() throws {
        let server = try StatusServer()
        let client = try client(server, bucket: "drop")
        let error = try #require(throws: S3Error.self) { try client.getSmall(key: "x", limit: 2 << 20) }
        #expect(error.code == .unreachable && error.underlying?.code == .connectionDropped)
        #expect(error.attempts == Self.policy.attempts && client.requestCounts == ["GET": Self.policy.attempts])
    }
}

/// `Tests/tools/http-test-server.py` on 127.0.0.1 for one test; it exits when its stdin closes.
final class StatusServer {
    let process = Process()
    let lifeline = Pipe()
    let port: Int

    init() throws {
        process.executableURL = URL(fileURLWithPath: try Subprocess.which("python3"))
        process.arguments = ["\(Fixtures.toolsFolder)/http-test-server.py"]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = lifeline
        try process.run()
        var line: [UInt8] = []
        var descriptor = pollfd(fd: output.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
        while !line.contains(UInt8(ascii: "\n")) {
            guard poll(&descriptor, 1, 30_000) == 1 else {
                process.terminate()
                throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "no port within 30 s"])
            }
            let piece = output.fileHandleForReading.availableData
            if piece.isEmpty { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "exited"]) }
            line += piece
        }
        port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    deinit {
        try? lifeline.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }
}
