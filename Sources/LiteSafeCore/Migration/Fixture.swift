import Crypto
import Glibc
import SQLite

/// A deterministic, self-contained copy of a database for tests to start from: the same
/// logical content always gives the same bytes, so a fixture can be committed and reviewed by
/// its hash.
///
/// It is the database's dump loaded into a fresh file, each table in key order, with a fixed
/// page size (4096), in rollback-journal mode, with the header's change counters fixed (they
/// count writes, not content). A load only inserts, so no page is ever freed: the file has no
/// free pages. (`VACUUM` is not used: it renumbers the rowids of tables without an INTEGER
/// PRIMARY KEY.)
public struct Fixture: Sendable {
    public static let pageSize = 4096

    public init() {}

    /// Writes the fixture of the database at `source` to `output` (through a temporary file
    /// beside it, published only when complete); returns its SHA-256.
    @discardableResult
    public func make(from source: String, to output: String, replacing: Bool = false) throws -> String {
        let file = try AtomicFile(
            directory: FileSystem.parent(of: output), finalName: FileSystem.basename(of: output))
        do {
            try build(from: source, at: file.temporaryPath)
            let digest = try Self.sha256(of: file.temporaryPath)
            try file.commit(replacing: replacing)
            return digest
        } catch {
            file.abandon()
            unlink(file.temporaryPath + "-journal")
            throw error
        }
    }

    /// Whether `fixture` is byte for byte what `make(from: source, …)` would write now.
    public func matches(_ fixture: String, source: String, scratch: String) throws -> Bool {
        let file = try AtomicFile(directory: scratch, finalName: "fixture-check.db")
        defer {
            file.abandon()
            unlink(file.temporaryPath + "-journal")
        }
        try build(from: source, at: file.temporaryPath)
        return try Self.sha256(of: file.temporaryPath) == Self.sha256(of: fixture)
    }

    private func build(from source: String, at path: String) throws {
        do {
            let target = try Connection(path: path, options: [.readWrite, .noFollow])
            try target.execute("PRAGMA page_size=\(Self.pageSize); PRAGMA auto_vacuum=NONE; PRAGMA encoding='UTF-8'")
            var loader = DumpLoader(connection: target)
            _ = try LogicalDump().write(databaseAt: source) { try loader.feed($0) }
            try loader.finish()
            try target.execute("PRAGMA journal_mode=DELETE")
        }
        try fixCounters(path)
    }

    /// Sets the header's file change counter and its "version valid for" copy (offsets 24 and
    /// 92; https://sqlite.org/fileformat.html#the_database_header) to 1: they count the writes
    /// that built the file, which differ with nothing a test could see.
    private func fixCounters(_ path: String) throws {
        let fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path: path) }
        defer { close(fd) }
        let one: [UInt8] = [0, 0, 0, 1]
        for offset in [24, 92] where pwrite(fd, one, 4, off_t(offset)) != 4 {
            throw FileSystemError("write", path: path)
        }
        if fsync(fd) != 0 { throw FileSystemError("fsync", path: path) }
    }

    static func sha256(of path: String) throws -> String {
        var hash = SHA256()
        try FileReader(path: path).forEachChunk { hash.update(bufferPointer: $0) }
        return hash.finalize().hexString
    }
}

/// Runs a dump's SQL text in a connection as it arrives, one complete batch of statements at a
/// time, so a large dump never sits in memory whole.
struct DumpLoader {
    let connection: Connection
    private var pending: [UInt8] = []
    /// Statements are run once this much text is waiting and it ends a statement.
    var batchSize = 1 << 20
    /// How much was waiting when it last did not end a statement: the next check waits for
    /// another `batchSize` (rechecking at every line of a long value would take quadratic time).
    private var checkedAt = 0

    init(connection: Connection) { self.connection = connection }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws {
        // SQLite reads SQL up to a NUL: what followed one would be skipped, not run. No dump
        // holds one (ours writes such text as X'…'), so a NUL is damage.
        if bytes.contains(0) { throw DumpError.damaged("it holds a NUL byte") }
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            pending.append(contentsOf: bytes[start...index])
            start = index + 1
            if pending.count >= checkedAt + batchSize { try runIfComplete() }
        }
        pending.append(contentsOf: bytes[start...])
    }

    mutating func finish() throws {
        try runIfComplete()
        guard pending.allSatisfy({ $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: " ") }) else {
            throw DumpError.incomplete(tail: String(decoding: pending.suffix(200), as: UTF8.self))
        }
    }

    private mutating func runIfComplete() throws {
        guard Connection.isComplete(bytes: pending) else {
            checkedAt = pending.count
            return
        }
        // As bytes: text in the dump that is not UTF-8 (stock .dump writes it raw) stays as it is.
        try connection.execute(bytes: pending)
        pending.removeAll(keepingCapacity: true)
        checkedAt = 0
    }
}

/// Why a dump could not be loaded.
public enum DumpError: Error, Equatable, CustomStringConvertible {
    /// The text ends inside a statement: the dump was cut short.
    case incomplete(tail: String)
    /// The text ends inside its transaction (no final COMMIT): the dump was cut short.
    case truncated
    /// The dump does something a restore never runs.
    case refused(String)
    /// Its rows break foreign keys (the first few, as "table row N → parent").
    case foreignKeys([String])
    /// SQLite could not run it.
    case failed(String)
    /// It is not a dump as written (a NUL byte in it, say).
    case damaged(String)

    public var description: String {
        switch self {
        case .incomplete(let tail): "the dump ends in the middle of a statement (cut short?): …\(tail)"
        case .truncated:
            "the dump ends before its final COMMIT: it was cut short; nothing was restored (take the dump again)"
        case .refused(let why): "the dump was refused: \(why); nothing was restored"
        case .foreignKeys(let rows):
            "the dump's rows break foreign keys (\(rows.joined(separator: "; "))); nothing was restored"
        case .failed(let message): "the dump does not load: \(message); nothing was restored"
        case .damaged(let why): "the dump is damaged: \(why); nothing was restored"
        }
    }
}
