import CSQLite

/// A copy of one database into another with SQLite's online backup API
/// (https://sqlite.org/backup.html), page by page, consistent at the end.
public final class OnlineBackup {
    private let handle: OpaquePointer
    private let source: Connection
    private let destination: Connection

    /// What one step did.
    public enum StepResult: Sendable, Equatable {
        /// Every page is copied; the destination is a consistent snapshot.
        case done
        /// More pages remain.
        case more
        /// The source or destination was locked; try again later.
        case busy
    }

    /// Prepares to copy `source`'s main database over `destination`'s.
    public init(from source: Connection, to destination: Connection) throws {
        guard let handle = sqlite3_backup_init(destination.handle, "main", source.handle, "main") else {
            throw SQLiteError(
                connection: destination.handle, code: sqlite3_errcode(destination.handle),
                operation: "start backup of \(source.path)")
        }
        self.handle = handle
        self.source = source
        self.destination = destination
    }

    private var finished = false

    deinit { finish() }

    /// Ends the copy and releases its locks on both databases; harmless to call twice.
    public func finish() {
        if !finished {
            sqlite3_backup_finish(handle)
            finished = true
        }
    }

    /// Copies up to `pages` pages; a negative count copies everything in one step.
    public func step(pages: Int32) throws -> StepResult {
        precondition(!finished, "step after finish")
        let rc = sqlite3_backup_step(handle, pages)
        switch rc & 0xff {
        case SQLITE_DONE: return .done
        case SQLITE_OK: return .more
        case SQLITE_BUSY, SQLITE_LOCKED: return .busy
        default:
            // sqlite3_backup_step does not always leave its error on the destination connection
            // ("not an error"): the result code's own text is the reliable one.
            throw SQLiteError(
                code: rc, extendedCode: rc, message: String(cString: sqlite3_errstr(rc)),
                operation: "back up \(source.path)")
        }
    }

    /// Pages still to copy after the last step. Grows back when a writer changed the source
    /// between steps (a restart of the copy, in a rollback-journal database).
    public var remaining: Int { Int(sqlite3_backup_remaining(handle)) }

    /// Pages in the source database as of the last step.
    public var pageCount: Int { Int(sqlite3_backup_pagecount(handle)) }
}
