import Foundation
import Glibc
import TestSupport
import Testing

@testable import LiteSafeCore

@Suite("FolderTrust: LiteSafe changes only folders nobody else can")
struct FolderTrustTests {
    private func makeFolder(_ path: String, mode: mode_t) throws {
        #expect(mkdir(path, 0o700) == 0)
        #expect(chmod(path, mode) == 0)
    }

    private func reason(_ path: String, create: Bool = false) -> UntrustedFolder.Reason? {
        do {
            close(try FolderTrust.open(path, create: create))
            return nil
        } catch let error as UntrustedFolder {
            return error.reason
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test("a folder of ours, closed to others, is trusted; one its group or others may write is not")
    func ownFolder() throws {
        let temporary = try TemporaryDirectory()
        let folder = temporary.path + "/store"
        try makeFolder(folder, mode: 0o755)
        #expect(reason(folder) == nil)
        #expect(chmod(folder, 0o775) == 0)
        #expect(reason(folder) == .writableByOthers(mode: 0o775))
        #expect(
            "\(UntrustedFolder(path: folder, reason: .writableByOthers(mode: 0o775)))"
                == "\(folder) is writable by its group or others (mode 0775): anyone who can write it could plant or swap files in it"
        )
    }

    @Test("below a folder others may write, only a sticky one with our child in it will do")
    func parents() throws {
        let temporary = try TemporaryDirectory()
        let open = temporary.path + "/open"
        try makeFolder(open, mode: 0o777)
        try makeFolder(open + "/store", mode: 0o700)
        #expect(reason(open + "/store") == .parentWritableByOthers(parent: open, mode: 0o777))
        #expect(chmod(open, 0o1777) == 0)
        #expect(reason(open + "/store") == nil)
        // Made on demand inside a trusted parent, 0700.
        #expect(reason(temporary.path + "/staging", create: true) == nil)
        var info = stat()
        #expect(lstat(temporary.path + "/staging", &info) == 0 && info.st_mode & 0o777 == 0o700)
    }

    @Test("as root, a folder another user owns is refused, naming the user")
    func anotherUsersFolder() throws {
        guard geteuid() == 0 else { return }
        let temporary = try TemporaryDirectory()
        let folder = temporary.path + "/store"
        try makeFolder(folder, mode: 0o700)
        #expect(chown(folder, 65534, 65534) == 0)
        #expect(reason(folder) == .ownedByOther(owner: 65534))
        try makeFolder(folder + "/app", mode: 0o700)
        #expect(reason(folder + "/app") == .parentOwnedByOther(parent: folder, owner: 65534))
        let message = "\(UntrustedFolder(path: folder, reason: .ownedByOther(owner: 65534)))"
        let name = FolderTrust.userName(65534)
        #expect(message.contains("belongs to user \(name)") && message.contains("LiteSafe runs as root here"))
        // The store refuses it for a backup, a prune or a cleanup: all take the lock first.
        #expect(throws: UntrustedFolder.self) { try DirectoryStore(root: folder).lock(database: "app") }
    }

    @Test("a database folder swapped for a symlink is refused, and nothing is created through it")
    func symlinkedDatabaseFolder() throws {
        let temporary = try TemporaryDirectory()
        let store = temporary.path + "/store"
        let elsewhere = temporary.path + "/elsewhere"
        try makeFolder(store, mode: 0o700)
        try makeFolder(elsewhere, mode: 0o700)
        #expect(symlink(elsewhere, store + "/app") == 0)
        #expect { try DirectoryStore(root: store).lock(database: "app") } throws: {
            ($0 as? FileSystemError)?.errno == ELOOP
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
    }
}
