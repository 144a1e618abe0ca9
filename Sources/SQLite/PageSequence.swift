/// The rule a captured destination's writes must follow to be streamed: whole pages, pages
/// 2…N each once and in order, page 1 once at any point (kept aside, as it comes last or nearly).
///
/// SQLite 3.40.1's backup into a destination with `journal_mode=OFF` writes exactly this way;
/// anything else (a page again, a gap, a partial page) cannot be streamed and is an error, so
/// a future SQLite that writes otherwise fails loudly instead of producing a wrong image.
struct PageSequence {
    /// Bytes per page, learnt from the first write.
    private(set) var pageSize = 0
    /// The next page the stream expects (page 1 excepted).
    private(set) var nextPage = 2
    /// Page 1's bytes, once written.
    private(set) var firstPage: [UInt8]?

    /// The number of the lock-byte page, which SQLite never writes: the page holding byte
    /// 2^30 of the file (https://sqlite.org/fileformat.html#the_lock_byte_page).
    static func lockBytePage(pageSize: Int) -> Int { (1 << 30) / pageSize + 1 }

    /// Pages handed on so far, the lock-byte page included; page 1 is not among them.
    var pagesStreamed: Int { nextPage - 2 }

    /// Checks one write and hands its page on; pages skipped over the lock-byte page are handed
    /// on as zeros first (what a file copy holds there: the backup never writes that page).
    mutating func accept(
        offset: Int64, bytes: UnsafeRawBufferPointer, deliver: (Int, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let count = bytes.count
        if pageSize == 0 {
            guard count >= 512, count <= 65536, count & (count - 1) == 0 else {
                throw PageCaptureError.partialPage(offset: offset, count: count, pageSize: nil)
            }
            pageSize = count
        }
        guard count == pageSize, offset >= 0, offset % Int64(pageSize) == 0 else {
            throw PageCaptureError.partialPage(offset: offset, count: count, pageSize: pageSize)
        }
        let page = Int(offset / Int64(pageSize)) + 1
        if page == 1 {
            guard firstPage == nil else { throw PageCaptureError.pageWrittenAgain(page: 1) }
            firstPage = Array(bytes)
            return
        }
        let lockByte = Self.lockBytePage(pageSize: pageSize)
        if nextPage == lockByte && page == lockByte + 1 {
            let zeros = [UInt8](repeating: 0, count: pageSize)
            try zeros.withUnsafeBytes { try deliver(lockByte, $0) }
            nextPage += 1
        }
        guard page == nextPage else {
            if page < nextPage { throw PageCaptureError.pageWrittenAgain(page: page) }
            throw PageCaptureError.pageOutOfOrder(page: page, expected: nextPage)
        }
        try deliver(page, bytes)
        nextPage += 1
    }
}
