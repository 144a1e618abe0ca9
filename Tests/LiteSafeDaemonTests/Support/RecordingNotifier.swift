import Foundation
import LiteSafeDaemon

/// A `ServiceNotifier` that keeps what it was told, as the sd_notify(3) assignments it stands for.
final class RecordingNotifier: ServiceNotifier, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []

    /// Every message so far, e.g. `READY=1\nSTATUS=1 database · …`, `WATCHDOG=1`.
    var messages: [String] { lock.withLock { recorded } }

    /// The `STATUS=` values sent so far, alone or with `READY=1`.
    var statuses: [String] {
        messages.flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("STATUS=") }
            .map { String($0.dropFirst("STATUS=".count)) }
    }

    func count(_ prefix: String) -> Int { messages.count { $0.hasPrefix(prefix) } }

    func ready(status: String?) throws { record("READY=1" + (status.map { "\nSTATUS=" + $0 } ?? "")) }
    func reloading() throws { record("RELOADING=1") }
    func stopping() throws { record("STOPPING=1") }
    func status(_ line: String) throws { record("STATUS=" + line) }
    func watchdog() throws { record("WATCHDOG=1") }
    func extendTimeout(_ duration: Duration) throws { record("EXTEND_TIMEOUT_USEC=\(duration.components.seconds)s") }

    private func record(_ message: String) { lock.withLock { recorded.append(message) } }
}
