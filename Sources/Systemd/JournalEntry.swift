import CSystemd
import Glibc
import Logging

/// One native journal entry: the ordered `FIELD=value` pairs that sd_journal_sendv(3) receives.
///
/// Building the fields is pure so that tests can check them without a running journald;
/// ``send()`` is the only part that talks to the journal.
struct JournalEntry: Equatable, Sendable {
    /// One journal field.
    struct Field: Equatable, Sendable, CustomStringConvertible {
        let name: String
        let value: String

        var description: String { "\(name)=\(value)" }
    }

    /// The fields in the order they are sent.
    let fields: [Field]

    /// Builds the entry for one log statement.
    ///
    /// `metadata` must already be merged (handler, provider, call); each key becomes a field
    /// named by ``fieldName(forMetadataKey:)``, sorted by name so entries are reproducible.
    init(
        level: Logger.Level,
        message: String,
        identifier: String,
        metadata: Logger.Metadata,
        file: String,
        function: String,
        line: UInt
    ) {
        var fields = [
            Field(name: "MESSAGE", value: message),
            Field(name: "PRIORITY", value: String(Self.priority(for: level))),
            Field(name: "SYSLOG_IDENTIFIER", value: identifier),
            Field(name: "CODE_FILE", value: file),
            Field(name: "CODE_LINE", value: String(line)),
            Field(name: "CODE_FUNC", value: function),
        ]
        let extra = metadata.map { key, value in
            Field(name: Self.fieldName(forMetadataKey: key), value: Self.fieldValue(value))
        }
        // Two keys may map to one name (`a-b`, `a_b`); journald keeps both values, and sorting
        // by value too keeps the order stable across runs despite dictionary ordering.
        fields += extra.sorted { ($0.name, $0.value) < ($1.name, $1.value) }
        self.fields = fields
    }

    /// The syslog priority journald stores in `PRIORITY`, as listed in sd_journal_print(3).
    static func priority(for level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7  // LOG_DEBUG
        case .info: 6  // LOG_INFO
        case .notice: 5  // LOG_NOTICE
        case .warning: 4  // LOG_WARNING
        case .error: 3  // LOG_ERR
        case .critical: 2  // LOG_CRIT
        }
    }

    /// The journal field for a metadata key: `message_id` → `MESSAGE_ID`, else `LITESAFE_` + the key.
    ///
    /// journald accepts only `A–Z`, `0–9` and `_` in field names, no leading `_` (reserved for
    /// trusted fields) and at most 64 characters; it silently drops any other field, so the
    /// name is upper-cased, every other character replaced with `_`, and the result truncated.
    static func fieldName(forMetadataKey key: String) -> String {
        if key == "message_id" { return "MESSAGE_ID" }
        var name = "LITESAFE_"
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z": name.unicodeScalars.append(Unicode.Scalar(scalar.value - 0x20)!)
            case "A"..."Z", "0"..."9", "_": name.unicodeScalars.append(scalar)
            default: name.append("_")
            }
        }
        return String(name.prefix(maximumFieldNameLength))
    }

    /// The longest field name journald keeps (`JOURNAL_FIELD_NAME_MAX` in systemd's sources).
    static let maximumFieldNameLength = 64

    /// The text of a metadata value; nested arrays and dictionaries use swift-log's rendering.
    static func fieldValue(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array, .dictionary: value.description
        }
    }

    /// Sends the entry to journald.
    ///
    /// sd_journal_sendv(3) itself encodes values that contain newlines, and it returns 0 without
    /// sending when no journald socket exists, so a failure here is a real transport error.
    /// - Throws: ``SystemdError`` when libsystemd reports one.
    func send() throws {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = bytes.count
            bytes += field.name.utf8
            bytes.append(UInt8(ascii: "="))
            bytes += field.value.utf8
            ranges.append(start..<bytes.count)
        }
        let result = bytes.withUnsafeMutableBytes { buffer in
            let vectors = ranges.map { range in
                iovec(iov_base: buffer.baseAddress! + range.lowerBound, iov_len: range.count)
            }
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
        if result < 0 {
            throw SystemdError(
                operation: "sd_journal_sendv",
                result: result,
                hint: "is /run/systemd/journal/socket writable by this user?"
            )
        }
    }
}
