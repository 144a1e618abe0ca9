import Foundation
import LiteSafeCore
import Logging

/// Captures log entries in memory; `logger` hands them to the daemon without touching
/// swift-log's process-wide bootstrap.
public final class LogRecorder: @unchecked Sendable {
    public init() {}

    public struct Entry: Sendable, CustomStringConvertible {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata

        public var event: Event? {
            guard case .string(let id) = metadata[LogKey.messageID] else { return nil }
            return Event.allCases.first { $0.messageID == id }
        }
        public var database: String? { metadata[LogKey.database].map { "\($0)" } }
        public var description: String { "\(level) \(message) \(metadata)" }
    }

    private let lock = NSLock()
    private var recorded: [Entry] = []

    public var entries: [Entry] { lock.withLock { recorded } }

    public func entries(_ event: Event) -> [Entry] { entries.filter { $0.event == event } }

    public var logger: Logger {
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
