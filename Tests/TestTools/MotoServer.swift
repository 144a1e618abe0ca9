import Foundation

/// An S3-compatible server for tests: moto 5.2.5 (`Tests/tools/moto-server.py`) on 127.0.0.1 on a
/// free port, with one bucket, and signatures checked when asked for.
///
/// `make deps` installs moto in `.build/venv-moto`; without it the server fails to start with an
/// error saying so (a missing prerequisite fails the tests, it never skips them). The server exits
/// when its standard input closes: when the value is released, or when the test process ends
/// however it ends.
public final class MotoServer: @unchecked Sendable {
    // @unchecked: every stored property is set once in init; `Process` itself is thread-safe to terminate.
    public let port: Int
    public let bucket: String
    public let region: String
    /// An access key the server accepts: an IAM user's allowed everything when signatures are
    /// checked, moto's `testing` otherwise.
    public let accessKeyID: String
    public let secretAccessKey: String
    public let checksSignatures: Bool
    private let process = Process()
    private let lifeline = Pipe()

    /// The server the tests of one process share, signatures checked; started on first use.
    ///
    /// Tests keep apart by prefix (`uniquePrefix()`), as the servers of a fleet do in one bucket.
    public static func shared() throws -> MotoServer { try sharedServer.get() }
    private static let sharedServer = Result { try MotoServer(bucket: "litesafe-tests", checkSignatures: true) }

    /// The virtualenv `make deps` makes.
    public static var python: String {
        URL(fileURLWithPath: Fixtures.toolsFolder).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/venv-moto/bin/python").path
    }

    /// Starts a server and waits (at most `deadline`) until its bucket exists and, with
    /// `checkSignatures`, an unsigned or wrongly signed request is refused.
    public init(bucket: String, region: String = "us-east-1", checkSignatures: Bool, deadline: Duration = .seconds(120))
        throws
    {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            throw MotoServerError(
                "moto is not installed in \(Self.python): run `make deps` (it makes .build/venv-moto)")
        }
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments =
            ["\(Fixtures.toolsFolder)/moto-server.py", "--bucket", bucket, "--region", region]
            + (checkSignatures ? ["--check-signatures"] : [])
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = lifeline
        try process.run()

        var line: [UInt8] = []
        var descriptor = pollfd(fd: output.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
        let end = ContinuousClock.now + deadline
        while !line.contains(UInt8(ascii: "\n")) {
            let left = end - ContinuousClock.now
            guard left > .zero, poll(&descriptor, 1, Int32(left.components.seconds * 1000 + 1)) == 1 else {
                process.terminate()
                process.waitUntilExit()
                throw MotoServerError("moto printed no port within \(deadline)")
            }
            let piece = output.fileHandleForReading.availableData
            if piece.isEmpty {
                process.waitUntilExit()
                throw MotoServerError("moto-server.py exited (status \(process.terminationStatus)) before it was ready")
            }
            line += piece
        }
        struct Ready: Decodable {
            let port: Int
            let bucket: String
            let region: String
            let accessKeyId: String
            let secretAccessKey: String
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let ready = try decoder.decode(Ready.self, from: Data(line))
        port = ready.port
        self.bucket = ready.bucket
        self.region = ready.region
        accessKeyID = ready.accessKeyId
        secretAccessKey = ready.secretAccessKey
        checksSignatures = checkSignatures
    }

    deinit {
        try? lifeline.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }

    /// `http://127.0.0.1:<port>`.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// A prefix no other test of this process uses (`t-<random>/`).
    public static func uniquePrefix() -> String {
        "t-" + String(UInt64.random(in: 0...UInt64.max), radix: 36) + "/"
    }
}

public struct MotoServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
