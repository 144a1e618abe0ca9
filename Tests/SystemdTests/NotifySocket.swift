import Glibc

/// A real `AF_UNIX` datagram socket in a fresh temporary directory, standing in for systemd's
/// notification socket: tests point `NOTIFY_SOCKET` at ``path`` and read what sd_notify(3) sent.
final class NotifySocket {
    let directory: String
    let path: String
    private let descriptor: Int32

    init() throws {
        // /tmp rather than $TMPDIR: a socket path must fit sockaddr_un's 108 bytes.
        var template = Array("/tmp/litesafe-systemd-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw FixtureError("mkdtemp") }
        directory = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        path = directory + "/notify.sock"

        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw FixtureError("socket") }

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw FixtureError(message: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw FixtureError("bind \(path)") }

        // A missing datagram must fail the test, not hang it.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(descriptor)
        unlink(path)
        rmdir(directory)
    }

    /// The next datagram as text.
    func receive() throws -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { throw FixtureError("recv from \(path)") }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    /// Whether a datagram is waiting, without blocking.
    func hasPendingDatagram() -> Bool {
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) >= 0
    }
}

/// A fixture set-up step that failed, with the errno text.
struct FixtureError: Error, CustomStringConvertible {
    let description: String

    init(_ operation: String) {
        description = "\(operation): \(String(cString: strerror(errno)))"
    }

    init(message: String) {
        description = message
    }
}

/// Runs `body` with environment variables set (or removed, for `nil`), restoring them afterwards.
///
/// The environment is process-wide, so suites that call this must be `.serialized`.
func withEnvironment<T>(_ variables: [String: String?], _ body: () throws -> T) rethrows -> T {
    let saved = variables.keys.map { ($0, getenv($0).map { String(cString: $0) }) }
    for (name, value) in variables { assign(name, value) }
    defer { for (name, value) in saved { assign(name, value) } }
    return try body()
}

private func assign(_ name: String, _ value: String?) {
    if let value { setenv(name, value, 1) } else { unsetenv(name) }
}
