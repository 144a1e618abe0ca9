import Foundation
import LiteSafeCore

/// What every `PageObjects` must do, as checks run against each implementation
/// (`PageObjectsContractTests`).
public enum PageObjectsContract {
    public struct Check: Sendable, CustomStringConvertible {
        public let description: String
        public let run: @Sendable (any PageObjects) throws -> Void
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    static func expect(_ condition: Bool, _ what: String) throws {
        if !condition { throw Failure(description: what) }
    }

    public static let checks: [Check] = [
        Check(description: "an object reads back as written, in a folder or at the top") { objects in
            let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try expect(try objects.create("packs/a.pack", bytes: bytes), "create reported an existing object")
            try expect(try objects.create("key", bytes: [1, 2, 3]), "create at the top failed")
            try expect(try objects.read("packs/a.pack") == bytes, "the pack read back differs")
            try expect(try objects.read("key") == [1, 2, 3], "the key read back differs")
        },
        Check(description: "create never replaces: the first bytes stay") { objects in
            _ = try objects.create("snapshots/s.json", bytes: [1])
            try expect(try !objects.create("snapshots/s.json", bytes: [2]), "a second create was taken")
            try expect(try objects.read("snapshots/s.json") == [1], "the object was replaced")
        },
        Check(description: "a missing object is missingObject, in a folder that exists or not") { objects in
            for name in ["packs/none.pack", "nowhere/x", "key"] {
                do {
                    _ = try objects.read(name)
                    throw Failure(description: "reading \(name) gave bytes")
                } catch let error as PageStoreError {
                    try expect(error.code == .missingObject, "\(name): \(error.code), not missingObject")
                }
            }
        },
        Check(description: "names lists a folder's objects only, and an absent folder as empty") { objects in
            try expect(try objects.names(in: "packs").isEmpty, "an empty store lists packs")
            _ = try objects.create("packs/a.pack", bytes: [1])
            _ = try objects.create("packs/b.pack", bytes: [2])
            _ = try objects.create("snapshots/c.json", bytes: [3])
            try expect(Set(try objects.names(in: "packs")) == ["a.pack", "b.pack"], "packs lists others")
            try expect(try objects.names(in: "snapshots") == ["c.json"], "snapshots lists others")
        },
        Check(description: "delete removes, and a second delete is no error") { objects in
            _ = try objects.create("packs/a.pack", bytes: [1])
            try objects.delete("packs/a.pack")
            try objects.delete("packs/a.pack")
            try expect(try objects.names(in: "packs").isEmpty, "a deleted pack is listed")
            try expect(try objects.create("packs/a.pack", bytes: [4]), "a deleted name cannot be created again")
            try expect(try objects.read("packs/a.pack") == [4], "the new object reads back otherwise")
        },
    ]
}
