import Foundation
import LiteSafeCore
import Logging

/// Captures log entries in memory; `logger` hands them to the daemon without touching
/// swift-log's process-wide bootstrap.
final class LogRecorder: @unchecked Sendable {
    struct Entry: Sendable, CustomStringConvertible {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata

        var event: Event? {
            guard case .string(let id) = metadata[LogKey.messageID] else { return nil }
            return Event.allCases.first { $0.messageID == id }
        }
        var database: String? { metadata[LogKey.database].map { "\($0)" } }
        var description: String { "\(level) \(message) \(metadata)" }
    }

    private let lock = NSLock()
    private var recorded: [Entry] = []

    var entries: [Entry] { lock.withLock { recorded } }

    func entries(_ event: Event) -> [Entry] { entries.filter { $0.event == event } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(recorder: self) }
    }

    fileprivate func append(_ entry: Entry) { lock.withLock { recorded.append(entry) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.append(
                Entry(
                    level: event.level, message: event.message.description,
                    metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }
}
