/// Why a page capture could not produce a streamable image: SQLite touched its destination in
/// a way the capture cannot stream (a newer SQLite may; the capture then refuses rather than
/// guess), or the image it saw is incomplete.
public enum PageCaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A write that is not one whole page at a page boundary.
    case partialPage(offset: Int64, count: Int, pageSize: Int?)
    /// A page written a second time (the backup restarted, or SQLite rewrote it).
    case pageWrittenAgain(page: Int)
    /// A page written before the pages below it.
    case pageOutOfOrder(page: Int, expected: Int)
    /// A read of bytes already handed on (and so no longer held).
    case readBack(offset: Int64, count: Int)
    /// A truncation below what was already handed on.
    case truncated(size: Int64, written: Int64)
    /// A file other than the main database (a journal, a temporary file).
    case unexpectedFile(name: String, flags: Int32)
    /// The backup finished without writing page 1, or with fewer pages than page 1 declares.
    case incomplete(pagesWritten: Int, pagesDeclared: Int)

    public var description: String {
        let detail =
            switch self {
            case .partialPage(let offset, let count, let pageSize):
                "a write of \(count) bytes at offset \(offset) is not one whole page"
                    + (pageSize.map { " of \($0) bytes" } ?? "")
            case .pageWrittenAgain(let page): "page \(page) was written a second time"
            case .pageOutOfOrder(let page, let expected): "page \(page) was written before page \(expected)"
            case .readBack(let offset, let count):
                "SQLite read back \(count) bytes at offset \(offset), which were already handed on"
            case .truncated(let size, let written):
                "SQLite truncated the image to \(size) bytes after \(written) bytes were handed on"
            case .unexpectedFile(let name, let flags): "SQLite opened another file, '\(name)' (flags \(flags))"
            case .incomplete(let written, let declared):
                "the backup ended with \(written) pages written of the \(declared) its page 1 declares"
            }
        switch self {
        case .pageWrittenAgain, .readBack:
            return
                "page capture: \(detail): the copy restarted (a stepped copy needs a read transaction held on the source), or this SQLite (\(Library.version)) writes its backup otherwise than 3.40.1"
        case .incomplete:
            return "page capture: \(detail)"
        default:
            return "page capture: \(detail): this SQLite (\(Library.version)) writes its backup otherwise than 3.40.1"
        }
    }
}
