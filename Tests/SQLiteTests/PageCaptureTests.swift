import Foundation
import SQLite
import TestTools
import Testing

/// An image assembled from a capture's pages, as a pipeline would store it.
private struct AssembledImage {
    var bytes: [UInt8] = []
    var pages: [Int] = []

    mutating func append(_ page: Int, _ data: UnsafeRawBufferPointer) {
        if bytes.isEmpty { bytes = [UInt8](repeating: 0, count: data.count) }
        bytes.append(contentsOf: data)
        pages.append(page)
    }

    func finished(with image: CapturedImage) -> [UInt8] {
        var result = bytes.isEmpty ? image.firstPage : bytes
        result.replaceSubrange(0..<image.pageSize, with: image.firstPage)
        return result
    }
}

@Suite("Page capture")
struct PageCaptureTests {
    /// A WAL database of about 8 MiB: over the destination's 2 MiB cache, so the copy spills.
    private func makeLargeDatabase(at path: String) throws {
        try Fixtures.makeDatabase(at: path, journalMode: "wal", rows: 4000, rowBytes: 2000)
    }

    private func capture(
        _ source: Connection, recordingCalls: Bool = false, onPage: (Int) throws -> Void = { _ in }
    ) throws -> (image: [UInt8], pages: [Int], captured: CapturedImage) {
        var assembled = AssembledImage()
        var capture = PageCapture()
        capture.recordsCalls = recordingCalls
        let captured = try capture.capture(from: source) { page, bytes in
            assembled.append(page, bytes)
            try onPage(page)
        }
        return (assembled.finished(with: captured), assembled.pages, captured)
    }

    /// The same snapshot copied the way the staging copy does, into a file.
    private func fileBackup(_ source: Connection, to path: String) throws -> [UInt8] {
        let destination = try Connection(path: path, options: [.readWrite, .create])
        try destination.execute("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF")
        let backup = try OnlineBackup(from: source, to: destination)
        #expect(try backup.step(pages: -1) == .done)
        backup.finish()
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test("pages 2…N arrive once each and in order, page 1 aside, and the image is the file backup's")
    func orderAndImage() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/a.db"
        try makeLargeDatabase(at: path)
        let source = try Connection(path: path, options: [.readWrite])
        let result = try capture(source, recordingCalls: true)
        let pageCount = Int(try source.integer("PRAGMA page_count"))
        #expect(result.captured.pageCount == pageCount)
        #expect(result.captured.pageSize == 4096)
        #expect(result.pages == Array(2...pageCount))
        #expect(result.image == (try fileBackup(source, to: dir.path + "/b.db")))

        let writes = result.captured.calls.compactMap { call -> Int64? in
            if case .write(let offset, let count) = call, count == 4096 { return offset / 4096 + 1 }
            return nil
        }
        #expect(writes.count == pageCount, "every write is one whole page, each page once")
        #expect(writes.filter { $0 == 1 }.count == 1)
        // Page 1 goes out at the start of the commit's final flush, not last (3.40.1).
        let firstPageWrite = try #require(writes.firstIndex(of: 1))
        #expect(firstPageWrite > 0 && firstPageWrite < writes.count - 1)
        let others = result.captured.calls.filter { if case .write = $0 { false } else { true } }
        print("page 1 is write #\(firstPageWrite + 1) of \(writes.count); other calls: \(others)")
    }

    @Test("a database smaller than the cache is written in one flush, page 1 first")
    func smallDatabase() throws {
        let dir = try TemporaryDirectory()
        try Fixtures.makeDatabase(at: dir.path + "/a.db", journalMode: "wal", rows: 50)
        let source = try Connection(path: dir.path + "/a.db", options: [.readWrite])
        let result = try capture(source, recordingCalls: true)
        #expect(result.image == (try fileBackup(source, to: dir.path + "/b.db")))
        let firstWrite = result.captured.calls.first { if case .write = $0 { true } else { false } }
        #expect(firstWrite == .write(offset: 0, count: 4096))
    }

    @Test("every page size SQLite allows is captured as its file backup is", arguments: [512, 65536])
    func pageSizes(pageSize: Int) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/a.db"
        let db = try Connection(path: path, options: [.readWrite, .create])
        try db.execute("PRAGMA page_size=\(pageSize)")
        _ = try db.column("PRAGMA journal_mode=wal")
        try db.execute(
            "CREATE TABLE t(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) INSERT INTO t SELECT randomblob(1500) FROM n"
        )
        let result = try capture(db)
        #expect(result.captured.pageSize == pageSize)
        #expect(result.pages == Array(2...result.captured.pageCount))
        #expect(result.image == (try fileBackup(db, to: dir.path + "/b.db")))
    }

    @Test("an empty database file captures as the one page a backup of it writes")
    func emptyDatabase() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/empty.db"
        FileManager.default.createFile(atPath: path, contents: Data())
        let source = try Connection(path: path, options: [.readWrite])
        let result = try capture(source)
        #expect(result.pages.isEmpty)
        #expect(result.captured.pageCount == 1)
        #expect(result.image == (try fileBackup(source, to: dir.path + "/b.db")))
    }

    @Test("two captures at once, on two threads, each get their own database's pages")
    func concurrentCaptures() async throws {
        let dir = try TemporaryDirectory()
        for name in ["a", "b"] { try makeLargeDatabase(at: dir.path + "/\(name).db") }
        let images = try await withThrowingTaskGroup(of: (String, [UInt8], [UInt8]).self) { group in
            for name in ["a", "b"] {
                let path = dir.path + "/\(name).db"
                let copy = dir.path + "/\(name)-copy.db"
                group.addTask {
                    let source = try Connection(path: path, options: [.readWrite])
                    return (name, try capture(source).image, try fileBackup(source, to: copy))
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = ($1.1, $1.2) }
        }
        #expect(images["a"]?.0 == images["a"]?.1)
        #expect(images["b"]?.0 == images["b"]?.1)
        #expect(images["a"]?.0 != images["b"]?.0)
    }

    @Test("under the bank writer every capture is consistent, passes integrity_check and is the snapshot's file copy")
    func bankWriter() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/bank.db"
        try makeLargeDatabase(at: path)
        let writer = try BankWriter(database: path, mode: "wal", extraArguments: ["--pad", "2000"])
        defer { writer.stop() }
        let source = try Connection(path: path, options: [.readWrite])
        source.setBusyTimeout(milliseconds: 5000)
        var transfers: [Int64] = []
        for round in 0..<4 {
            // Alternately inside an explicit read transaction (compared with a file backup of
            // the same snapshot) and in one backup step on its own.
            let inTransaction = round % 2 == 0
            if inTransaction {
                try source.execute("BEGIN")
                _ = try source.integer("SELECT count(*) FROM accounts")
            }
            let result = try capture(source)
            if inTransaction {
                #expect(result.image == (try fileBackup(source, to: dir.path + "/file-\(round).db")))
                try source.execute("COMMIT")
            }
            let copy = dir.path + "/capture-\(round).db"
            try write(result.image, to: copy)
            #expect(try Fixtures.integrityCheck(copy) == ["ok"])
            #expect(try Fixtures.bankTotal(copy) == BankWriter.expectedTotal)
            transfers.append(try Connection(path: copy, options: [.readOnly]).integer("SELECT count(*) FROM transfers"))
            #expect(result.pages == Array(2...result.captured.pageCount))
            // Let the writer commit between captures, and prove it did.
            let seen = transfers.last!
            #expect(
                try eventually {
                    try Connection(path: path, options: [.readOnly]).integer("SELECT count(*) FROM transfers") > seen
                })
        }
        #expect(transfers == transfers.sorted() && Set(transfers).count == transfers.count, "\(transfers)")
    }

    @Test("a writer that commits during the one-step copy of a WAL database neither waits nor restarts it")
    func commitDuringStep() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/a.db"
        try makeLargeDatabase(at: path)
        let source = try Connection(path: path, options: [.readWrite])
        let writer = try Connection(path: path, options: [.readWrite])
        var committed = 0
        let result = try capture(source) { page in
            if page % 500 == 0 {
                try writer.execute("INSERT INTO items(body) VALUES (zeroblob(3000))")
                committed += 1
            }
        }
        #expect(committed > 1)
        #expect(result.pages == Array(2...result.captured.pageCount))
        let copy = dir.path + "/copy.db"
        try write(result.image, to: copy)
        #expect(try Fixtures.integrityCheck(copy) == ["ok"])
        #expect(try Connection(path: copy, options: [.readOnly]).integer("SELECT count(*) FROM items") == 4000)
        #expect(try source.integer("SELECT count(*) FROM items") == 4000 + Int64(committed))
    }

    @Test("in rollback-journal mode a writer cannot commit during the copy")
    func rollbackJournalWriterWaits() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/a.db"
        try Fixtures.makeDatabase(at: path, journalMode: "delete", rows: 4000, rowBytes: 2000)
        let source = try Connection(path: path, options: [.readWrite])
        let writer = try Connection(path: path, options: [.readWrite])
        var refused: SQLiteError?
        let result = try capture(source) { page in
            if page == 100 {
                do { try writer.execute("INSERT INTO items(body) VALUES (zeroblob(3000))") } catch let error
                    as SQLiteError
                { refused = error }
            }
        }
        #expect(refused?.kind == .busy)
        #expect(result.pages == Array(2...result.captured.pageCount))
    }

    @Test("quick_check in the capture's read transaction checks exactly the captured snapshot")
    func quickCheckSameSnapshot() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/a.db"
        try makeLargeDatabase(at: path)
        let source = try Connection(path: path, options: [.readWrite])
        let writer = try Connection(path: path, options: [.readWrite])
        try source.execute("BEGIN")
        _ = try source.integer("SELECT count(*) FROM sqlite_schema")
        let result = try capture(source) { page in
            if page % 500 == 0 { try writer.execute("DELETE FROM items WHERE id = \(page)") }
        }
        try writer.execute("INSERT INTO items(body) VALUES (zeroblob(100))")
        // The source connection still reads the snapshot the pages came from, not the newest one.
        #expect(try source.column("PRAGMA quick_check") == ["ok"])
        let inTransaction = try source.column("SELECT count(*) || '/' || sum(id) FROM items")
        try source.execute("COMMIT")
        let copy = dir.path + "/copy.db"
        try write(result.image, to: copy)
        let captured = try Connection(path: copy, options: [.readOnly])
        #expect(try captured.column("SELECT count(*) || '/' || sum(id) FROM items") == inTransaction)
        #expect(try captured.integer("SELECT count(*) FROM items") == 4000)
        #expect(try source.integer("SELECT count(*) FROM items") != 4000)
    }

    @Test("a stepped copy without a read transaction, restarted by a writer, fails instead of writing pages again")
    func restartIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/a.db"
        try makeLargeDatabase(at: path)
        let source = try Connection(path: path, options: [.readWrite])
        let writer = try Connection(path: path, options: [.readWrite])
        var capture = PageCapture()
        capture.pagesPerStep = 1000
        var written = 0
        let error = #expect(throws: PageCaptureError.self) {
            _ = try capture.capture(from: source) { page, _ in
                written += 1
                if page == 2 { try writer.execute("INSERT INTO items(body) VALUES (zeroblob(3000))") }
            }
        }
        #expect(written > 0)
        // The restarted copy asks for page 2 again, which the destination spilled and handed on.
        #expect(error == .readBack(offset: 4096, count: 4096))
    }

    @Test("the consumer's error stops the copy and is the one thrown")
    func consumerError() throws {
        struct Stop: Error, Equatable {}
        let dir = try TemporaryDirectory()
        try makeLargeDatabase(at: dir.path + "/a.db")
        let source = try Connection(path: dir.path + "/a.db", options: [.readWrite])
        var calls = 0
        #expect(throws: Stop()) {
            _ = try PageCapture().capture(from: source) { page, _ in
                calls += 1
                if page == 10 { throw Stop() }
            }
        }
        #expect(calls == 9)
        // The source is left as it was, free for the next backup.
        #expect(source.isAutocommit)
        #expect(try capture(source).pages.count > 9)
    }
}
