import Foundation
import SQLite
import TestTools
import Testing
import Zstd

/// The stored layout for a captured snapshot: page 1's raw frame in a slot reserved at the
/// start and filled last, then pages 2…N compressed as SQLite writes them.
@Suite("Captured database streams")
struct CapturedStreamTests {
    @Test("the stock zstd -d of a captured stream is the database's file backup, byte for byte")
    func stockDecoderGivesTheDatabase() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/a.db"
        // About 8 MiB: more than the capture's cache, so page 1 comes in the middle of the writes.
        try Fixtures.makeDatabase(at: path, journalMode: "wal", rows: 4000, rowBytes: 2000)
        let source = try Connection(path: path, options: [.readWrite])
        try source.execute("BEGIN")
        _ = try source.integer("SELECT count(*) FROM sqlite_schema")
        let pageSize = Int(try source.integer("PRAGMA page_size"))
        let slot = RawFrame.size(contentSize: pageSize)
        var stream = [UInt8](repeating: 0, count: slot)
        let compressor = try Compressor(level: 3, workers: 2, jobSize: 4 << 20)
        let image = try PageCapture().capture(from: source) { _, page in
            try compressor.update(page) { stream.append(contentsOf: $0) }
        }
        try compressor.finish { stream.append(contentsOf: $0) }
        image.firstPage.withUnsafeBytes { stream.replaceSubrange(0..<slot, with: RawFrame.encode($0)) }

        // The same snapshot copied to a file, as the staging copy does.
        let copy = try Connection(path: dir.path + "/copy.db", options: [.readWrite, .create])
        try copy.execute("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF")
        let backup = try OnlineBackup(from: source, to: copy)
        #expect(try backup.step(pages: -1) == .done)
        backup.finish()
        try source.execute("COMMIT")

        try Data(stream).write(to: dir.appending("a.db.zst"))
        let decoded = try Subprocess.run("zstd", ["-d", "-c", "-q", dir.path + "/a.db.zst"])
        #expect(decoded.status == 0, "\(decoded)")
        #expect(decoded.stdout == (try Data(contentsOf: dir.appending("copy.db"))))
        #expect(decoded.stdout.count == image.pageCount * pageSize)
    }
}
