import Foundation
import LiteSafeCore
import TestSupport
import Testing

/// Every check of `PageObjectsContract` against the folder and in-memory page objects.
@Suite("The page objects contract")
struct PageObjectsContractTests {
    enum Kind: String, CaseIterable, CustomStringConvertible {
        case folder, memory
        var description: String { rawValue }
    }

    @Test(arguments: Kind.allCases, PageObjectsContract.checks)
    func holds(kind: Kind, check: PageObjectsContract.Check) throws {
        let folder = try TemporaryDirectory("litesafe-page-objects")
        let objects: any PageObjects =
            switch kind {
            case .folder: try FolderPageObjects(path: folder.path + "/pages")
            case .memory: InMemoryPageObjects()
            }
        try check.run(objects)
    }

    @Test("a folder's objects are 0600 files, and a name that would leave the store is refused")
    func folderObjects() throws {
        let folder = try TemporaryDirectory("litesafe-page-objects")
        let objects = try FolderPageObjects(path: folder.path + "/pages")
        _ = try objects.create("packs/a.pack", bytes: [1, 2])
        let mode = try FileManager.default.attributesOfItem(atPath: folder.path + "/pages/packs/a.pack")[
            .posixPermissions]
        #expect(mode as? Int == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/pages/packs") == ["a.pack"])
        for name in ["../escape", "packs/../../escape", "a/b/c", "packs/.."] {
            #expect(throws: (any Error).self, "\(name)") { _ = try objects.create(name, bytes: [1]) }
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/escape"))
    }
}
