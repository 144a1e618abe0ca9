import Logging
import Testing

@testable import Systemd

struct JournalLogHandlerTests {
    private struct DiskFull: Error, CustomStringConvertible {
        var description: String { "disk full" }
    }

    private func event(
        _ message: Logger.Message,
        metadata: Logger.Metadata? = nil,
        error: (any Error)? = nil
    ) -> LogEvent {
        LogEvent(
            level: .warning,
            message: message,
            error: error,
            metadata: metadata,
            source: nil,
            file: "LiteSafeDaemon/Scheduler.swift",
            function: "tick()",
            line: 7
        )
    }

    private func fields(_ entry: JournalEntry) -> [String: String] {
        Dictionary(entry.fields.map { ($0.name, $0.value) }) { first, _ in first }
    }

    @Test func mergesHandlerProviderAndCallMetadataInThatOrder() {
        var handler = JournalLogHandler(
            label: "litesafe",
            identifier: "litesafe",
            metadataProvider: .init { ["backup": "from-provider", "path": "/from/provider"] }
        )
        handler[metadataKey: "database"] = "app"
        handler[metadataKey: "backup"] = "from-handler"

        let entry = handler.entry(for: event("pruned", metadata: ["path": "/from/call"]))
        let fields = fields(entry)

        #expect(fields["LITESAFE_DATABASE"] == "app")
        #expect(fields["LITESAFE_BACKUP"] == "from-provider")
        #expect(fields["LITESAFE_PATH"] == "/from/call")
        #expect(fields["PRIORITY"] == "4")
        #expect(fields["CODE_FILE"] == "LiteSafeDaemon/Scheduler.swift")
        #expect(fields["CODE_FUNC"] == "tick()")
        #expect(fields["CODE_LINE"] == "7")
    }

    @Test func identifierIsConfigurable() {
        let handler = JournalLogHandler(label: "ignored", identifier: "litesafe-restore")
        #expect(fields(handler.entry(for: event("m")))["SYSLOG_IDENTIFIER"] == "litesafe-restore")
    }

    @Test func errorArgumentBecomesTheErrorField() {
        let handler = JournalLogHandler(label: "litesafe")
        #expect(fields(handler.entry(for: event("m", error: DiskFull())))["LITESAFE_ERROR"] == "disk full")
        let explicit = event("m", metadata: ["error": "explicit"], error: DiskFull())
        #expect(fields(handler.entry(for: explicit))["LITESAFE_ERROR"] == "explicit")
    }

    @Test func eventMessageIDBecomesMessageIDField() {
        let handler = JournalLogHandler(label: "litesafe")
        let entry = handler.entry(for: event("m", metadata: ["message_id": "85808122276f3c316ca692a61a36f82e"]))
        #expect(fields(entry)["MESSAGE_ID"] == "85808122276f3c316ca692a61a36f82e")
    }

    @Test func loggerMetadataIsAValuePerLogger() {
        var first = Logger(label: "litesafe") { JournalLogHandler(label: $0) }
        first[metadataKey: "database"] = "app"
        var second = first
        second[metadataKey: "database"] = "ledger"
        #expect(first[metadataKey: "database"] == "app")
        #expect(second[metadataKey: "database"] == "ledger")
    }
}
