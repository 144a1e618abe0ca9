import Logging
import Testing

@testable import Systemd

// `LoggingSetup.bootstrap` itself is not called here: swift-log allows one bootstrap per
// process, and the test process is shared with every other test target.
struct LoggingSetupTests {
    @Test func explicitTargetsAreKeptWhenJournaldIsReachable() {
        #expect(LoggingSetup.resolve(.journal, journalReachable: true) == .journal)
        #expect(LoggingSetup.resolve(.console, journalReachable: true) == .console)
    }

    @Test func journalFallsBackToConsoleWithoutJournald() {
        #expect(LoggingSetup.resolve(.journal, journalReachable: false) == .console)
    }

    @Test func factoryMakesTheHandlerForTheTarget() throws {
        let journal = LoggingSetup.handlerFactory(for: .journal, level: .debug, identifier: "litesafe")("x")
        let handler = try #require(journal as? JournalLogHandler)
        #expect(handler.logLevel == .debug)
        #expect(handler.identifier == "litesafe")

        let console = LoggingSetup.handlerFactory(for: .console, level: .warning, identifier: "litesafe")("x")
        #expect((console as? ConsoleLogHandler)?.logLevel == .warning)
    }
}
