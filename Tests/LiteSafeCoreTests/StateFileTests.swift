import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

@Suite("StateFile: state.json on disk")
struct StateFileTests {
    @Test("round-trips, replaces the old file atomically (mode 0600, no temporary left) and is nil when missing")
    func roundTrip() throws {
        let folder = try TemporaryDirectory("litesafe-state")
        let file = StateFile(directory: folder.path)
        #expect(try file.read() == nil)
        var state = DaemonState(
            pid: 7, started: Date(timeIntervalSince1970: 1_795_000_000),
            updated: Date(timeIntervalSince1970: 1_795_000_060),
            configFile: "/etc/litesafe/litesafe.yml")
        let updated = state.updated
        state.update("app") { $0.lastFailure = DaemonState.Failure(time: updated, reason: "disk full") }
        try file.write(state)
        state.update("app") { $0.failuresTotal = 3 }
        try file.write(state)
        #expect(try file.read() == state)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["state.json"])
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int == 0o600)
    }

    @Test("times are whole-second UTC text, and a fraction of a second written by hand reads too")
    func times() throws {
        let state = DaemonState(
            pid: 7, started: Date(timeIntervalSince1970: 1_795_000_000.9),
            updated: Date(timeIntervalSince1970: 1_795_000_060),
            configFile: "/x")
        let text = String(decoding: try StateFile.encoder.encode(state), as: UTF8.self)
        #expect(text.contains("\"started\" : \"2026-11-18T11:06:40Z\""))
        let edited = text.replacingOccurrences(of: "2026-11-18T11:06:40Z", with: "2026-11-18T12:06:40.5+01:00")
        let read = try StateFile.decoder.decode(DaemonState.self, from: Data(edited.utf8))
        #expect(read.started == Date(timeIntervalSince1970: 1_795_000_000.5))
    }

    @Test("a damaged file or a newer format is refused with what to do")
    func refused() throws {
        let folder = try TemporaryDirectory("litesafe-state")
        let file = StateFile(directory: folder.path)
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: file.path))
        #expect { try file.read() } throws: { "\($0)".contains("is not a LiteSafe state file") }
        let plain = DaemonState(pid: 1, started: Date(), updated: Date(), configFile: "/x")
        let text = String(decoding: try StateFile.encoder.encode(plain), as: UTF8.self)
        let badTime = text.replacingOccurrences(
            of: #""started" : "[^"]*""#, with: #""started" : "yesterday""#, options: .regularExpression)
        try Data(badTime.utf8).write(to: URL(fileURLWithPath: file.path))
        #expect {
            try file.read()
        } throws: {
            "\($0)"
                == "\(file.path) is not a LiteSafe state file: started: 'yesterday' is not an ISO 8601 time such as 2026-11-26T12:00:03Z. The daemon rewrites it after its next backup; remove it to start afresh"
        }
        var state = DaemonState(pid: 1, started: Date(), updated: Date(), configFile: "/x")
        state.version = 99
        try StateFile.encoder.encode(state).write(to: URL(fileURLWithPath: file.path))
        #expect { try file.read() } throws: { "\($0)".contains("format version 99") }
    }

    @Test("a leftover temporary from an interrupted write is removed, and only that")
    func leftovers() throws {
        let folder = try TemporaryDirectory("litesafe-state")
        for name in [AtomicFile.temporaryPrefix + "abc-state.json.tmp", "state.json", "staging"] {
            FileManager.default.createFile(atPath: folder.path + "/" + name, contents: Data())
        }
        StateFile(directory: folder.path).removeLeftovers()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["staging", "state.json"])
    }

    @Test("this process is a litesafe process (the test bundle's name); pid 0 and a dead pid are not")
    func processCheck() {
        #expect(StateFile.isLiteSafeProcess(getpid()))
        #expect(!StateFile.isLiteSafeProcess(0))
        #expect(!StateFile.isLiteSafeProcess(Int32.max))
    }
}
