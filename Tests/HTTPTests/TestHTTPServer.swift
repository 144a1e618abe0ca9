import Foundation
import TestTools
import Testing

/// `Tests/tools/http-test-server.py` running on 127.0.0.1 for the length of one test.
final class TestHTTPServer {
    let process = Process()
    /// The server's standard input: closing it (here, or by this process dying) makes the server exit.
    let lifeline = Pipe()
    let port: Int
    let scheme: String

    /// Starts the server (speaking TLS with `cert` and `key` if given) and waits for the port it prints.
    init(cert: String? = nil, key: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: try Subprocess.which("python3"))
        process.arguments =
            ["\(Fixtures.toolsFolder)/http-test-server.py"] + (cert.map { ["--cert", $0, "--key", key!] } ?? [])
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = lifeline
        try process.run()
        scheme = cert == nil ? "http" : "https"

        var line: [UInt8] = []
        var descriptor = pollfd(fd: output.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
        while !line.contains(UInt8(ascii: "\n")) {
            guard poll(&descriptor, 1, 10_000) == 1 else {
                process.terminate()
                throw ServerFailure(message: "the test HTTP server printed no port within 10 s")
            }
            let piece = output.fileHandleForReading.availableData
            if piece.isEmpty { throw ServerFailure(message: "the test HTTP server exited before printing its port") }
            line += piece
        }
        port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    deinit {
        try? lifeline.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }

    func url(_ path: String) -> String { "\(scheme)://127.0.0.1:\(port)\(path)" }

    struct ServerFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

/// What `/echo` reports about the request it received.
struct EchoedRequest: Decodable {
    let method: String
    let path: String
    let headers: [[String]]
    let bodyLength: Int
    let bodySha256: String
    let clientPort: Int

    func header(_ name: String) -> String? {
        headers.first { $0[0].lowercased() == name.lowercased() }?[1]
    }

    init(_ body: [UInt8]) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        self = try decoder.decode(Self.self, from: Data(body))
    }
}

/// Byte `i` of the server's `/bytes/N` answers, and of the bodies the tests upload.
func patternByte(_ index: Int) -> UInt8 { UInt8(index % 251) }
