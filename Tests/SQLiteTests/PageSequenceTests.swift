import Testing

@testable import SQLite

@Suite("Page sequence")
struct PageSequenceTests {
    private func write(_ sequence: inout PageSequence, page: Int, size: Int = 4096, into pages: inout [Int]) throws {
        let bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: page), count: size)
        try bytes.withUnsafeBytes { buffer in
            try sequence.accept(offset: Int64(page - 1) * Int64(size), bytes: buffer) { number, data in
                #expect(data.count == size)
                pages.append(number)
            }
        }
    }

    @Test("page 1 is kept aside wherever it comes; 2…N pass in order")
    func firstPageAside() throws {
        var sequence = PageSequence()
        var pages: [Int] = []
        for page in [2, 3, 1, 4] { try write(&sequence, page: page, into: &pages) }
        #expect(pages == [2, 3, 4])
        #expect(sequence.firstPage == [UInt8](repeating: 1, count: 4096))
    }

    @Test("a page again, a gap or a partial page is refused")
    func refusals() throws {
        var sequence = PageSequence()
        var pages: [Int] = []
        try write(&sequence, page: 2, into: &pages)
        #expect(throws: PageCaptureError.pageWrittenAgain(page: 2)) { try write(&sequence, page: 2, into: &pages) }
        #expect(throws: PageCaptureError.pageOutOfOrder(page: 5, expected: 3)) {
            try write(&sequence, page: 5, into: &pages)
        }
        try write(&sequence, page: 1, into: &pages)
        #expect(throws: PageCaptureError.pageWrittenAgain(page: 1)) { try write(&sequence, page: 1, into: &pages) }
        #expect(throws: PageCaptureError.partialPage(offset: 8192, count: 100, pageSize: 4096)) {
            try [UInt8](repeating: 0, count: 100).withUnsafeBytes {
                try sequence.accept(offset: 8192, bytes: $0) { _, _ in }
            }
        }
        #expect(pages == [2])
    }

    // SQLite never writes the page holding byte 2^30 (page 16385 at 64 KiB pages): a database
    // over 1 GiB jumps over it, and the stream holds zeros there, as a file copy's hole does.
    @Test("the lock-byte page is handed on as zeros")
    func lockBytePage() throws {
        let size = 65536
        let lockByte = PageSequence.lockBytePage(pageSize: size)
        #expect(lockByte == 16385)
        var sequence = PageSequence()
        var pages: [Int] = []
        for page in 2..<lockByte { try write(&sequence, page: page, size: size, into: &pages) }
        var zeros: [Int] = []
        try [UInt8](repeating: 7, count: size).withUnsafeBytes { buffer in
            try sequence.accept(offset: Int64(lockByte) * Int64(size), bytes: buffer) { number, data in
                pages.append(number)
                if data.allSatisfy({ $0 == 0 }) { zeros.append(number) }
            }
        }
        #expect(pages.suffix(3) == [lockByte - 1, lockByte, lockByte + 1])
        #expect(zeros == [lockByte])
        #expect(sequence.pagesStreamed == lockByte)
    }
}
