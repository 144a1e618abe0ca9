import Crypto
import Foundation
import HTTP
import TestTools
import Testing

@Suite struct HTTPClientTests {
    @Test func putStreamsABodyOfKnownLengthWithoutExpectOrChunking() throws {
        let server = try TestHTTPServer()
        let client = try HTTPClient()
        let length = 3 * 1024 * 1024 + 17
        var produced = 0
        var reads = 0
        let request = HTTPRequest(
            method: "PUT", url: server.url("/echo/object"), headers: [HTTPHeader("X-Amz-Meta-Test", "yes")],
            body: .stream(length: Int64(length)) { buffer in
                reads += 1
                let count = min(buffer.count, length - produced)
                for i in 0..<count { buffer[i] = patternByte(produced + i) }
                produced += count
                return count
            })
        let response = try client.send(request)

        #expect(response.status == 200)
        let echoed = try EchoedRequest(response.body)
        let expected = SHA256.hash(data: (0..<length).map(patternByte))
        #expect(echoed.method == "PUT")
        #expect(echoed.bodyLength == length)
        #expect(echoed.bodySha256 == expected.map { String(format: "%02x", $0) }.joined())
        #expect(echoed.header("Content-Length") == String(length))
        #expect(echoed.header("X-Amz-Meta-Test") == "yes")
        #expect(echoed.header("Expect") == nil)
        #expect(echoed.header("Transfer-Encoding") == nil)
        #expect(reads > 1, "the body was read in pieces, not whole")
    }

    @Test func bytesBodyAndCustomMethod() throws {
        let server = try TestHTTPServer()
        let response = try HTTPClient().send(
            HTTPRequest(method: "POST", url: server.url("/echo?uploads"), body: .bytes(Array("<x/>".utf8))))
        let echoed = try EchoedRequest(response.body)
        #expect(echoed.method == "POST")
        #expect(echoed.path == "/echo?uploads")
        #expect(echoed.bodyLength == 4)
    }

    @Test func getStreamsTheBodyToTheReceiver() throws {
        let server = try TestHTTPServer()
        let length = 5_000_000
        var received = 0
        var pieces = 0
        var mismatches = 0
        let response = try HTTPClient().send(HTTPRequest(method: "GET", url: server.url("/bytes/\(length)"))) {
            bytes in
            for (i, byte) in bytes.enumerated() where byte != patternByte(received + i) { mismatches += 1 }
            received += bytes.count
            pieces += 1
        }
        #expect(response.status == 200)
        #expect(received == length)
        #expect(mismatches == 0)
        #expect(pieces > 1)
        #expect(response.body.isEmpty)
    }

    @Test func anErrorStatusIsAResponseAndItsBodyIsCollectedNotStreamed() throws {
        let server = try TestHTTPServer()
        var streamed = 0
        let response = try HTTPClient().send(HTTPRequest(method: "GET", url: server.url("/status/404"))) {
            streamed += $0.count
        }
        #expect(response.status == 404)
        #expect(String(decoding: response.body, as: UTF8.self) == "status 404\n")
        #expect(streamed == 0)
        #expect(try HTTPClient().send(HTTPRequest(method: "HEAD", url: server.url("/status/503"))).status == 503)
    }

    @Test func consecutiveRequestsReuseOneConnection() throws {
        let server = try TestHTTPServer()
        let client = try HTTPClient()
        let first = try client.send(HTTPRequest(method: "GET", url: server.url("/echo")))
        let second = try client.send(HTTPRequest(method: "PUT", url: server.url("/echo"), body: .bytes([1, 2, 3])))
        #expect(try EchoedRequest(first.body).clientPort == EchoedRequest(second.body).clientPort)
        #expect(!first.reusedConnection)
        #expect(second.reusedConnection)
    }

    @Test func aSlowServerHitsTheRequestDeadline() throws {
        let server = try TestHTTPServer()
        let error = try #require(throws: HTTPError.self) {
            try HTTPClient().send(
                HTTPRequest(method: "GET", url: server.url("/delay/30"), timeout: .milliseconds(300)))
        }
        #expect(error.code == .timeout)
    }

    @Test func aCancellationStopsARequestUnderWay() throws {
        let server = try TestHTTPServer()
        let cancellation = HTTPCancellation()
        let sending = DispatchSemaphore(value: 0)
        let url = server.url("/delay/30")
        final class Outcome: @unchecked Sendable {
            // @unchecked: written by the thread before it signals `done`, read after.
            var result: Result<HTTPResponse, HTTPError>?
        }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Thread {
            let body = HTTPRequest.Body.stream(length: 10) { buffer in
                sending.signal()  // curl is sending the body: the request is under way
                buffer.initializeMemory(as: UInt8.self, repeating: 7)
                return buffer.count
            }
            let request = HTTPRequest(
                method: "PUT", url: url, body: body, timeout: .seconds(120), cancellation: cancellation)
            outcome.result = Result { () throws(HTTPError) -> HTTPResponse in try HTTPClient().send(request) }
            done.signal()
        }.start()
        try #require(sending.wait(timeout: .now() + 30) == .success, "the request's body was never read")
        cancellation.cancel()
        // Without the cancellation the server answers 200 after 30 s.
        try #require(done.wait(timeout: .now() + 25) == .success, "the request went on after its cancellation")
        let error = try #require(throws: HTTPError.self) { try outcome.result!.get() }
        #expect(error.code == .cancelled)
        // And a request given a cancelled flag does not start.
        let refused = try #require(throws: HTTPError.self) {
            try HTTPClient().send(HTTPRequest(method: "GET", url: server.url("/echo"), cancellation: cancellation))
        }
        #expect(refused.code == .cancelled)
    }

    @Test func aConnectionDroppedMidBodyIsReported() throws {
        let server = try TestHTTPServer()
        let error = try #require(throws: HTTPError.self) {
            try HTTPClient().send(HTTPRequest(method: "GET", url: server.url("/drop")))
        }
        #expect(error.code == .connectionDropped)
        #expect(!error.detail.isEmpty)
    }

    @Test func aConnectionClosedMidUploadIsReportedNotASignal() throws {
        // Writing to a closed socket raises SIGPIPE, which would end the whole daemon; curl must not let it.
        // The test runner ignores SIGPIPE, as the daemon does not: restore the default for this request.
        let server = try TestHTTPServer()
        let previous = signal(SIGPIPE, SIG_DFL)
        defer { signal(SIGPIPE, previous) }
        let length: Int64 = 64 * 1024 * 1024
        let error = try #require(throws: HTTPError.self) {
            try HTTPClient().send(
                HTTPRequest(
                    method: "PUT", url: server.url("/close"),
                    body: .stream(length: length) { buffer in
                        buffer.initializeMemory(as: UInt8.self, repeating: 0x5a)
                        return buffer.count
                    }))
        }
        #expect(error.code == .connectionDropped, "\(error)")
    }

    @Test func aRefusedConnectionIsReported() throws {
        let port = try closedPort()
        let error = try #require(throws: HTTPError.self) {
            try HTTPClient().send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/"))
        }
        #expect(error.code == .cannotConnect)
        #expect(error.detail.contains("refused"), "\(error.detail)")
    }

    @Test func anUnknownHostIsADNSFailure() throws {
        // RFC 6761 reserves .invalid: it never resolves.
        let error = try #require(throws: HTTPError.self) {
            try HTTPClient().send(
                HTTPRequest(method: "GET", url: "http://no-such-host.invalid/", timeout: .seconds(20)))
        }
        #expect(error.code == .dnsFailure)
    }

    @Test func aBodyOverTheLimitIsRefused() throws {
        let server = try TestHTTPServer()
        let error = try #require(throws: HTTPError.self) {
            try HTTPClient().send(HTTPRequest(method: "GET", url: server.url("/bytes/100000")), bodyLimit: 1000)
        }
        #expect(error.code == .tooLarge)
    }

    @Test func aReaderThatEndsEarlyFailsTheRequest() throws {
        let server = try TestHTTPServer()
        var given = 0
        let error = try #require(throws: HTTPError.self) {
            try HTTPClient().send(
                HTTPRequest(
                    method: "PUT", url: server.url("/echo"),
                    body: .stream(length: 1000) { buffer in
                        let count = min(buffer.count, 400 - given)
                        given += count
                        return count
                    }))
        }
        #expect(error.code == .bodyFailed)
        #expect(error.detail.contains("400 of 1000"), "\(error.detail)")
    }

    @Test func proxiesFromTheEnvironmentAreIgnored() throws {
        let server = try TestHTTPServer()
        let deadProxy = "http://127.0.0.1:\(try closedPort())"
        setenv("http_proxy", deadProxy, 1)
        setenv("HTTPS_PROXY", deadProxy, 1)
        setenv("ALL_PROXY", deadProxy, 1)
        defer { for name in ["http_proxy", "HTTPS_PROXY", "ALL_PROXY"] { unsetenv(name) } }
        #expect(try HTTPClient().send(HTTPRequest(method: "GET", url: server.url("/status/204"))).status == 204)
    }

    @Test func credentialsInTheURLAreNeverPrinted() throws {
        let port = try closedPort()
        let error = try #require(throws: HTTPError.self) {
            try HTTPClient().send(
                HTTPRequest(
                    method: "GET",
                    url:
                        "http://AKID:s3cr3tpass@127.0.0.1:\(port)/b/k?partNumber=2&X-Amz-Signature=abcdef0123&X-Amz-Security-Token=tok3n"
                ))
        }
        for text in [String(describing: error), "\(error)", error.request, error.detail] {
            #expect(!text.contains("s3cr3tpass"), "\(text)")
            #expect(!text.contains("abcdef0123"), "\(text)")
            #expect(!text.contains("tok3n"), "\(text)")
        }
        #expect(error.request.contains("partNumber=2"))
    }

    @Test func programsUsingTheModuleDoNotLinkLibcurl() throws {
        // libcurl and its ~30 libraries cost ~6 MiB resident at start; only a process that makes a client
        // should map them, so nothing may list libcurl as a needed library (this test binary links HTTP).
        let dynamic = try Subprocess.run("readelf", ["--dynamic", CommandLine.arguments[0]])
        try #require(dynamic.status == 0, "\(dynamic)")
        #expect(dynamic.output.contains("(NEEDED)"))
        #expect(!dynamic.output.contains("libcurl"), "\(dynamic.output)")
    }

    /// A TCP port on 127.0.0.1 that nothing listens on: bound, then closed.
    func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
