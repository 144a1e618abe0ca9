import Glibc
import Testing

@testable import Systemd

struct LoggingTargetTests {
    /// An open temporary file and the `DEV:INODE` string systemd would put in `JOURNAL_STREAM` for it.
    private final class StreamFile {
        let descriptor: Int32
        let journalStream: String
        let inode: UInt64

        init() throws {
            var template = Array("/tmp/litesafe-stream-XXXXXX".utf8CString)
            descriptor = mkstemp(&template)
            guard descriptor >= 0 else { throw FixtureError("mkstemp") }
            unlink(template)
            var status = stat()
            guard fstat(descriptor, &status) == 0 else { throw FixtureError("fstat") }
            inode = UInt64(status.st_ino)
            journalStream = "\(UInt64(status.st_dev)):\(inode)"
        }

        deinit { close(descriptor) }
    }

    @Test func journalWhenTheStreamMatchesTheDescriptor() throws {
        let file = try StreamFile()
        #expect(LoggingTarget.detect(journalStream: file.journalStream, standardError: file.descriptor) == .journal)
    }

    @Test func consoleWhenTheVariableWasInheritedByAnotherStream() throws {
        let file = try StreamFile()
        let other = try StreamFile()
        #expect(LoggingTarget.detect(journalStream: file.journalStream, standardError: other.descriptor) == .console)
    }

    @Test(arguments: [nil, "", "12", "12:", ":34", "a:b", "1:2:3", "-1:2"])
    func consoleWhenTheVariableIsMissingOrMalformed(value: String?) throws {
        let file = try StreamFile()
        #expect(LoggingTarget.detect(journalStream: value, standardError: file.descriptor) == .console)
    }

    @Test func consoleWhenTheDescriptorIsClosed() throws {
        let file = try StreamFile()
        #expect(LoggingTarget.detect(journalStream: file.journalStream, standardError: -1) == .console)
    }

    @Test func journalSocketReachabilityChecksThePath() {
        #expect(!LoggingTarget.isJournalReachable(socketPath: "/nonexistent/litesafe/journal/socket"))
        var template = Array("/tmp/litesafe-socket-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        defer {
            close(descriptor)
            unlink(template)
        }
        #expect(
            LoggingTarget.isJournalReachable(
                socketPath: String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
            )
        )
    }

    @Test func rawValuesMatchTheCommandLineSpelling() {
        #expect(LoggingTarget(rawValue: "journal") == .journal)
        #expect(LoggingTarget(rawValue: "console") == .console)
        #expect(LoggingTarget(rawValue: "auto") == nil)
    }
}
