import Foundation
import LiteSafeCore
import Testing

@Suite("Event: MESSAGE_IDs and the journald catalog")
struct EventCatalogTests {
    @Test("every event has its own id and one catalog entry, and the catalog has no others")
    func catalogMatches() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let catalog = try String(
            contentsOf: root.appendingPathComponent("deploy/litesafe.catalog"), encoding: .utf8)
        let entries = catalog.split(separator: "\n").filter { $0.hasPrefix("-- ") }.map { String($0.dropFirst(3)) }
        let ids = Event.allCases.map(\.messageID)
        #expect(Set(ids).count == ids.count, "two events share an id")
        #expect(entries.count == Set(entries).count, "an id has two catalog entries")
        #expect(Set(entries) == Set(ids))
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) && $0 == $0.lowercased() })
    }
}
