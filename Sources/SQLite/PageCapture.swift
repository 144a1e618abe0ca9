import CSQLite

/// A consistent copy of a database made with the online backup API into a destination that is
/// no file at all: each page goes to a consumer as SQLite writes it, so a snapshot streams
/// straight into compression without a staging copy.
///
/// The destination is opened through a VFS of our own with `journal_mode=OFF` and
/// `synchronous=OFF`. SQLite 3.40.1 then writes every page once, whole, pages 2…N in order
/// (spilled from its cache as the copy fills it), and page 1 once during the commit's final
/// flush, before the last `cache_size − 1` pages: so page 1 is kept aside and returned at the
/// end, never handed to the consumer. The capture checks that order and fails with
/// `PageCaptureError` rather than produce a wrong image if SQLite ever writes otherwise.
///
/// The image is the one the backup API makes of a file: the source's pages, with page 1's
/// change counter, schema cookie and SQLite version number as the backup's commit set them,
/// and zeros for the lock-byte page of a database over 1 GiB.
public struct PageCapture {
    /// Pages per backup step; negative copies everything in one step. With more than one step,
    /// hold a read transaction on the source (a WAL source's writers would otherwise restart the
    /// copy between steps, and a restarted copy writes pages again: an error here).
    public var pagesPerStep: Int32 = -1
    /// Whether to record every call SQLite makes on the destination (`CapturedImage.calls`).
    public var recordsCalls = false

    public init() {}

    /// Copies `source`'s main database, handing `consumer` pages 2…N in order, each once, with
    /// their numbers; page 1 is in the result. A consumer's error stops the copy and is rethrown.
    public func capture(
        from source: Connection, into consumer: (_ page: Int, _ bytes: UnsafeRawBufferPointer) throws -> Void
    ) throws -> CapturedImage {
        let vfs = try CaptureVFS(recordingCalls: recordsCalls)
        let destination = vfs.destination
        try withoutActuallyEscaping(consumer) { consumer in
            destination.consumer = consumer
            defer { destination.consumer = nil }
            do {
                try copy(from: source, through: vfs)
            } catch {
                throw destination.failure ?? error
            }
        }
        if let failure = destination.failure { throw failure }
        let sequence = destination.sequence
        let written = sequence.pagesStreamed + (sequence.firstPage == nil ? 0 : 1)
        guard let firstPage = sequence.firstPage else {
            throw PageCaptureError.incomplete(pagesWritten: written, pagesDeclared: 0)
        }
        let declared = firstPage[28..<32].reduce(0) { $0 << 8 | Int($1) }
        guard declared == written else {
            throw PageCaptureError.incomplete(pagesWritten: written, pagesDeclared: declared)
        }
        return CapturedImage(
            pageSize: sequence.pageSize, pageCount: written, firstPage: firstPage, calls: destination.calls ?? [])
    }

    private func copy(from source: Connection, through vfs: CaptureVFS) throws {
        let target = try Connection(path: "capture", options: [.readWrite, .create], vfs: vfs.name)
        // The connection keeps the VFS registered until it is closed.
        target.keepAlive = vfs
        try target.execute("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF")
        let backup = try OnlineBackup(from: source, to: target)
        defer { backup.finish() }
        while true {
            switch try backup.step(pages: pagesPerStep) {
            case .done: return
            case .more: continue
            case .busy: throw SQLiteError(code: SQLITE_BUSY, operation: "capture \(source.path)")
            }
        }
    }
}

/// What a capture produced besides the pages the consumer received.
public struct CapturedImage: Sendable {
    /// Bytes per page, as the backup wrote them (the source's page size).
    public let pageSize: Int
    /// Pages in the image, page 1 and the lock-byte page included.
    public let pageCount: Int
    /// Page 1, as the backup's commit wrote it.
    public let firstPage: [UInt8]
    /// Every call SQLite made on the destination, when `PageCapture.recordsCalls` asked for them.
    public let calls: [DestinationCall]
}
