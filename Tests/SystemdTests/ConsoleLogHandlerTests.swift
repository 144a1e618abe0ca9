import Glibc
import Logging
import Testing

@testable import Systemd

struct ConsoleLogHandlerTests {
    // 2026-11-26T12:00:03Z
    private let noon: time_t = 1_795_694_403

    @Test func formatsTimestampLevelDatabaseMessageAndMetadata() {
        let line = ConsoleLogHandler.line(
            level: .error,
            message: "backup failed: disk full",
            metadata: [
                "database": "app", "bytes": "0", "path": "/var/backups/litesafe/app",
                "message_id": "f82ff9b1041de6e818fdba05c9a63033",
            ],
            showMessageID: false,
            at: noon
        )
        #expect(
            line == "2026-11-26T12:00:03Z error [app] backup failed: disk full (bytes=0 path=/var/backups/litesafe/app)"
        )
    }

    @Test func showsMessageIDOnlyWhenAskedTo() {
        let line = ConsoleLogHandler.line(
            level: .debug,
            message: "started",
            metadata: ["message_id": "46f34e74845f885841640cd93cee06dd"],
            showMessageID: true,
            at: noon
        )
        #expect(line == "2026-11-26T12:00:03Z debug started (message_id=46f34e74845f885841640cd93cee06dd)")
    }

    @Test func keepsEachMessageOnOneLine() {
        let line = ConsoleLogHandler.line(
            level: .warning,
            message: "first\nsecond\tthird",
            metadata: ["error": "near \"x\"\nline 2", "empty": ""],
            showMessageID: false,
            at: noon
        )
        #expect(line == #"2026-11-26T12:00:03Z warning first\nsecond\tthird (empty="" error="near \"x\"\nline 2")"#)
        #expect(!line.contains("\n"))
    }

    @Test func leavesOutFieldsTheMessageAlreadySays() {
        let error = "destination folder /b does not exist; create it"
        let line = ConsoleLogHandler.line(
            level: .error,
            message: "backup of 'app' failed: \(error)",
            metadata: ["database": "app", "error": "\(error)", "path": "/b/app"],
            showMessageID: false,
            at: noon
        )
        #expect(line == "2026-11-26T12:00:03Z error [app] backup of 'app' failed: \(error) (path=/b/app)")
    }

    @Test func writesOneLinePerMessageToItsDescriptor() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }

        var handler = ConsoleLogHandler(fileDescriptor: ends[1], level: .info)
        handler[metadataKey: "database"] = "app"
        let logger = Logger(label: "litesafe") { _ in handler }
        logger.debug("hidden below the level")
        logger.error("backup failed", metadata: ["message_id": "f82ff9b1041de6e818fdba05c9a63033"])
        logger.notice("pruned", metadata: ["backup": "2026-11-26T12-00-00Z"])
        close(ends[1])

        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while case let count = read(ends[0], &buffer, buffer.count), count > 0 { output += buffer[..<count] }
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)

        #expect(lines.count == 3)
        #expect(lines[0].hasSuffix("Z error [app] backup failed"))
        #expect(lines[1].hasSuffix("Z notice [app] pruned (backup=2026-11-26T12-00-00Z)"))
        #expect(lines[2].isEmpty)
    }
}
