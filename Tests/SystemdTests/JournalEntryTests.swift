import Logging
import Testing

@testable import Systemd

struct JournalEntryTests {
    @Test func buildsStandardFieldsThenSortedMetadata() {
        let entry = JournalEntry(
            level: .error,
            message: "backup failed",
            identifier: "litesafe",
            metadata: [
                "message_id": "f82ff9b1041de6e818fdba05c9a63033",
                "duration_ms": "1200",
                "database": "app",
            ],
            file: "LiteSafeCore/Backup.swift",
            function: "backUp(database:)",
            line: 42
        )

        #expect(
            entry.fields.map(\.description) == [
                "MESSAGE=backup failed",
                "PRIORITY=3",
                "SYSLOG_IDENTIFIER=litesafe",
                "CODE_FILE=LiteSafeCore/Backup.swift",
                "CODE_LINE=42",
                "CODE_FUNC=backUp(database:)",
                "LITESAFE_DATABASE=app",
                "LITESAFE_DURATION_MS=1200",
                "MESSAGE_ID=f82ff9b1041de6e818fdba05c9a63033",
            ]
        )
    }

    @Test(arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5),
        (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func priorityIsTheSyslogNumber(level: Logger.Level, priority: Int) {
        #expect(JournalEntry.priority(for: level) == priority)
        let entry = JournalEntry(
            level: level,
            message: "m",
            identifier: "x",
            metadata: [:],
            file: "f",
            function: "g",
            line: 1
        )
        #expect(entry.fields.first { $0.name == "PRIORITY" }?.value == String(priority))
    }

    @Test(arguments: [
        ("message_id", "MESSAGE_ID"),
        ("database", "LITESAFE_DATABASE"),
        ("duration_ms", "LITESAFE_DURATION_MS"),
        ("error.type", "LITESAFE_ERROR_TYPE"),
        ("Mixed-Case key", "LITESAFE_MIXED_CASE_KEY"),
        ("wal2", "LITESAFE_WAL2"),
        ("größe", "LITESAFE_GR__E"),
        ("MESSAGE_ID", "LITESAFE_MESSAGE_ID"),
        ("", "LITESAFE_"),
    ])
    func metadataKeysBecomeValidFieldNames(key: String, field: String) {
        #expect(JournalEntry.fieldName(forMetadataKey: key) == field)
    }

    @Test func longKeysAreTruncatedToJournaldsLimit() {
        let name = JournalEntry.fieldName(forMetadataKey: String(repeating: "k", count: 100))
        #expect(name.count == 64)
        #expect(name == "LITESAFE_" + String(repeating: "K", count: 55))
    }

    @Test func valuesKeepNewlinesAndEqualsSigns() {
        let entry = JournalEntry(
            level: .info,
            message: "line one\nline two",
            identifier: "litesafe",
            metadata: ["error": "near \"x\"\nat line 3 = bad"],
            file: "f",
            function: "g",
            line: 1
        )
        #expect(entry.fields.first?.value == "line one\nline two")
        #expect(entry.fields.last == .init(name: "LITESAFE_ERROR", value: "near \"x\"\nat line 3 = bad"))
    }

    @Test func nestedValuesUseSwiftLogsRendering() {
        #expect(JournalEntry.fieldValue(.string("plain")) == "plain")
        #expect(JournalEntry.fieldValue(.stringConvertible(1200)) == "1200")
        #expect(JournalEntry.fieldValue(.array(["a", "b"])) == #"["a", "b"]"#)
        #expect(JournalEntry.fieldValue(.dictionary(["k": "v"])) == #"["k": "v"]"#)
    }

    @Test func collidingKeysKeepBothValuesInAStableOrder() {
        let entry = JournalEntry(
            level: .info,
            message: "m",
            identifier: "x",
            metadata: ["a_b": "2", "a-b": "1"],
            file: "f",
            function: "g",
            line: 1
        )
        #expect(entry.fields.suffix(2).map(\.description) == ["LITESAFE_A_B=1", "LITESAFE_A_B=2"])
    }

    // Delivery to a real journald (sd_journal_sendv reports success with nobody listening, so
    // no test here can see it fail) is checked by Tests/systemd/scenarios/50-journal.sh, which
    // reads the entries back with `journalctl -o json`.
}
