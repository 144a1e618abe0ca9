import Glibc
import Logging

/// A log handler that writes one readable line per message to standard error.
///
/// Lines look like `2026-11-26T12:00:03Z error [app] backup failed: disk full (bytes=0 path=/x)`:
/// a UTC timestamp, the level, the database the message concerns (its `database` metadata)
/// in brackets, the message, then the other metadata sorted by key, leaving out values the
/// message already contains. `message_id` is shown only
/// at `debug` and `trace`, where it helps match lines to `deploy/litesafe.catalog`.
public struct ConsoleLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// The descriptor lines are written to; standard error except in tests.
    let fileDescriptor: Int32

    /// Creates a handler for standard error.
    ///
    /// - Parameter label: The logger's label; unused in the line, since LiteSafe logs as one program.
    public init(
        label: String,
        level: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.init(fileDescriptor: STDERR_FILENO, level: level, metadataProvider: metadataProvider)
    }

    init(fileDescriptor: Int32, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil) {
        self.fileDescriptor = fileDescriptor
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = event.mergedMetadata(handler: metadata, provider: metadataProvider)
        let text = Self.line(
            level: event.level,
            message: event.message.description,
            metadata: merged,
            showMessageID: logLevel <= .debug,
            at: time(nil)
        )
        emit(text + "\n")
    }

    /// Formats one line, without the trailing newline.
    static func line(
        level: Logger.Level,
        message: String,
        metadata: Logger.Metadata,
        showMessageID: Bool,
        at seconds: time_t
    ) -> String {
        var metadata = metadata
        var text = timestamp(seconds) + " \(level)"
        if let database = metadata.removeValue(forKey: "database") {
            text += " [\(escaped(JournalEntry.fieldValue(database)))]"
        }
        text += " " + escaped(message)
        if !showMessageID { metadata["message_id"] = nil }
        // The journal keeps every field; a reader of the console already has in the message
        // whatever a field would only repeat (an error's text, most often).
        metadata = metadata.filter {
            let value = JournalEntry.fieldValue($0.value)
            return value.isEmpty || !message.contains(value)
        }
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { key, value in
                "\(key)=\(quotedIfNeeded(JournalEntry.fieldValue(value)))"
            }
            text += " (" + pairs.joined(separator: " ") + ")"
        }
        return text
    }

    /// `seconds` as ISO 8601 UTC, for example `2026-11-26T12:00:03Z`.
    static func timestamp(_ seconds: time_t) -> String {
        var seconds = seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Replaces control characters with escapes so that one message stays one line.
    static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Quotes a metadata value that would otherwise be ambiguous in `key=value` pairs.
    static func quotedIfNeeded(_ value: String) -> String {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy {
                $0.value > 0x20 && $0.value != 0x7F && $0 != "\"" && $0 != "(" && $0 != ")"
            }
        if plain { return value }
        return "\"" + escaped(value).replacingOccurrences("\"", with: "\\\"") + "\""
    }

    /// Writes `text` with as few `write(2)` calls as possible, so concurrent lines rarely interleave.
    private func emit(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fileDescriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return  // Nowhere left to report a failure to log.
            }
            bytes = bytes.dropFirst(written)
        }
    }
}

extension String {
    /// `self` with every `target` replaced, without importing Foundation for one call.
    fileprivate func replacingOccurrences(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
