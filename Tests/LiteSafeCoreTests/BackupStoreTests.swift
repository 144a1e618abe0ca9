import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

@Suite("BackupStore: which backup a restore takes")
struct BackupStoreTests {
    @Test("the newest, or the newest at or before a time; none, or none that early, says what there is")
    func choosesByTime() throws {
        let h = try Harness().prepare()
        try Fixtures.makeDatabase(at: h.source)
        let taken = try (0..<3).map { _ in try h.backUp().backup }
        let store = h.store
        #expect(try store.backup(of: "app") == taken[2])
        #expect(try store.backup(of: "app", atOrBefore: taken[1].manifest.created) == taken[1])
        #expect(
            try store.backup(of: "app", atOrBefore: taken[2].manifest.created.addingTimeInterval(-0.000_5)) == taken[1])
        #expect(try store.backup(of: "app", atOrBefore: Date.distantFuture) == taken[2])
        let early = Date(timeIntervalSince1970: 978_307_200)  // 2001-01-01
        #expect {
            try store.backup(of: "app", atOrBefore: early)
        } throws: {
            "\($0)" == "no backup of 'app' at or before 2001-01-01T00:00:00.000000Z; the oldest is from "
                + BackupName.iso8601(taken[0].manifest.created)
        }
        #expect {
            try store.backup(of: "crm")
        } throws: {
            "\($0)" == "no backups of 'crm' in \(h.destination)/crm"
        }
    }
}
