import Logging

/// A log handler that sends each message to journald as a native entry with structured fields.
///
/// Unlike text on standard error, native entries keep the priority, the source location and
/// every metadata key as separate fields (sd_journal_print(3)), so operators can filter with
/// `journalctl -u litesafe MESSAGE_ID=… LITESAFE_DATABASE=app`. Metadata keys map to fields as
/// ``JournalEntry/fieldName(forMetadataKey:)`` describes: `message_id` → `MESSAGE_ID`,
/// any other `k` → `LITESAFE_K`; a `logger.error(…, error:)` error becomes `LITESAFE_ERROR`.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// The `SYSLOG_IDENTIFIER` of every entry, which `journalctl -t` filters on.
    public let identifier: String

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - label: The logger's label; unused, since every entry carries `identifier` instead.
    ///   - identifier: The `SYSLOG_IDENTIFIER` field.
    public init(
        label: String,
        identifier: String = "litesafe",
        level: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.identifier = identifier
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let entry = entry(for: event)
        do {
            try entry.send()
        } catch {
            // A log call cannot throw, and under systemd standard error also reaches the
            // journal (as plain text), so the message survives with a note on why.
            var fallback = ConsoleLogHandler(label: "", level: logLevel)
            fallback.metadata = metadata
            fallback.metadataProvider = metadataProvider
            var event = event
            event.metadata = (event.metadata ?? [:]).merging(["journal_error": "\(error)"]) { old, _ in old }
            fallback.log(event: event)
        }
    }

    /// The entry `event` becomes, with this handler's metadata merged in.
    func entry(for event: LogEvent) -> JournalEntry {
        JournalEntry(
            level: event.level,
            message: event.message.description,
            identifier: identifier,
            metadata: event.mergedMetadata(handler: metadata, provider: metadataProvider),
            file: event.file,
            function: event.function,
            line: event.line
        )
    }
}
