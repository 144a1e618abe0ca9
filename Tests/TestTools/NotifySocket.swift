import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real `AF_UNIX` datagram socket in a fresh folder under /tmp, standing in for systemd's
/// notification socket: a test points a child's `NOTIFY_SOCKET` at ``path`` and reads what
/// sd_notify(3) sent.
public final class NotifySocket: @unchecked Sendable {
    public let directory: String
    public let path: String
    private let descriptor: Int32

    public init() throws {
        // /tmp rather than $TMPDIR: a socket path must fit sockaddr_un's 108 bytes.
        var template = Array("/tmp/litesafe-notify-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw NotifySocketError("mkdtemp") }
        directory = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        path = directory + "/notify.sock"

        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw NotifySocketError("socket") }

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw NotifySocketError(message: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw NotifySocketError("bind \(path)") }
    }

    deinit {
        close(descriptor)
        unlink(path)
        rmdir(directory)
    }

    /// The next datagram as text, or nil if none arrives within `timeout`.
    public func receive(timeout: TimeInterval = 5) -> String? {
        var poll = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&poll, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    /// Receives datagrams until one satisfies `matches`, for at most `timeout` in all; returns
    /// it, or nil (and everything received is appended to `seen`).
    public func receive(
        timeout: TimeInterval = 10, seen: inout [String], until matches: (String) -> Bool
    ) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while case let left = deadline.timeIntervalSinceNow, left > 0 {
            guard let message = receive(timeout: left) else { return nil }
            seen.append(message)
            if matches(message) { return message }
        }
        return nil
    }
}

/// A notification-socket set-up step that failed, with the errno text.
public struct NotifySocketError: Error, CustomStringConvertible {
    public let description: String

    init(_ operation: String) {
        description = "\(operation): \(String(cString: strerror(errno)))"
    }

    init(message: String) {
        description = message
    }
}
