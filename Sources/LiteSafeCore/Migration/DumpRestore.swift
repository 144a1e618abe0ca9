import SQLite

/// Loads a SQL dump (ours, or stock `sqlite3 .dump`'s) into a fresh database file, refusing
/// anything that reaches past that file: `ATTACH`, `VACUUM INTO` (no database may be
/// attached), `load_extension` and the file functions, and every pragma but the few a dump
/// sets. A dump that ends inside its transaction was cut short and is refused.
///
/// `PRAGMA journal_mode=WAL` is not run but remembered (`wantsWAL`): the restore sets WAL
/// mode in the header once the file is checked, as it does for a snapshot.
final class DumpRestore {
    private let connection: Connection
    private var loader: DumpLoader
    private let policy = Policy()

    /// Whether the dump asked for WAL mode.
    var wantsWAL: Bool { policy.wantsWAL }

    /// The pragmas a dump may set: what ours and `sqlite3 .dump` write.
    static let allowedPragmas: Set<String> = [
        "foreign_keys", "defer_foreign_keys", "user_version", "application_id", "writable_schema",
        "legacy_alter_table", "page_size", "auto_vacuum", "encoding",
    ]

    final class Policy {
        var wantsWAL = false
        var refusal: String?
    }

    /// Opens the (empty) file at `path`, which the caller created in a folder of its own; the
    /// database may grow to `maxBytes` (the free space beside OUT) and no further.
    init(databaseAt path: String, maxBytes: Int64?) throws {
        connection = try Connection(path: path, options: [.readWrite, .noFollow])
        connection.limitAttachedDatabases(to: 0)
        // Nothing by path beyond the file itself: no journal or temporary files beside it
        // (its folder is private, but whoever can write OUT's folder can move that folder),
        // and the file locked to this connection. A load that fails is thrown away whole, so
        // an in-memory journal is enough.
        try connection.execute(
            "PRAGMA trusted_schema=OFF; PRAGMA journal_mode=MEMORY; PRAGMA temp_store=MEMORY; PRAGMA locking_mode=EXCLUSIVE"
        )
        if let maxBytes {
            // A few bytes of SQL (zeroblob, recursive inserts) can ask for any size: bound it.
            // In pages of the default 4096 bytes (neither our dumps nor sqlite3's set another).
            _ = try connection.column("PRAGMA max_page_count=\(max(maxBytes / 4096, 1))")
        }
        loader = DumpLoader(connection: connection)
        let policy = self.policy
        connection.setAuthorizer { request in
            switch request.action {
            case .attach, .detach:
                policy.refusal = "it reaches another database file (ATTACH or VACUUM INTO)"
                return .deny
            case .function(let name)
            where ["load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"]
                .contains(name.lowercased()):
                policy.refusal = "it calls \(name)(), which reaches past the database"
                return .deny
            case .pragma(let name, let value) where name.lowercased() == "journal_mode":
                if value?.lowercased() == "wal" { policy.wantsWAL = true }
                return .ignore
            // A pragma that only reads (FTS5 asks for data_version; foreign_key_check) is fine;
            // one that sets something must be one a dump sets.
            case .pragma(let name, let value) where value != nil && !Self.allowedPragmas.contains(name.lowercased()):
                policy.refusal = "it sets PRAGMA \(name), which a dump has no need of"
                return .deny
            default: return .allow
            }
        }
    }

    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        try explained { try loader.feed(bytes) }
    }

    /// Runs what is left, then refuses a dump cut short or whose rows break a foreign key.
    func finish() throws {
        try explained { try loader.finish() }
        guard connection.isAutocommit else {
            throw DumpError.truncated
        }
        let violations = try connection.column(
            "SELECT \"table\" || ' row ' || coalesce(rowid, '?') || ' → ' || parent FROM pragma_foreign_key_check LIMIT 5"
        )
        if !violations.isEmpty { throw DumpError.foreignKeys(violations) }
    }

    private func explained(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as SQLiteError {
            if let refusal = policy.refusal { throw DumpError.refused(refusal) }
            if error.message.contains("too many attached databases") {
                throw DumpError.refused("it runs VACUUM, VACUUM INTO or ATTACH, which a dump has no need of")
            }
            throw DumpError.failed(error.message)
        }
    }

    /// Whether `head`, the first bytes of a plaintext, look like SQL text rather than a
    /// database: printable text that starts as a dump does.
    static func looksLikeSQL(_ bytes: [UInt8]) -> Bool {
        // The sniffer may hold more than it needs: decide on the first bytes only.
        let head = bytes.prefix(32)
        guard !head.isEmpty,
            head.allSatisfy({ $0 == 9 || $0 == 10 || $0 == 13 || ($0 >= 32 && $0 != 127) || $0 >= 128 })
        else { return false }
        let text = String(decoding: head, as: UTF8.self).uppercased().drop { $0.isWhitespace }
        return ["--", "PRAGMA", "BEGIN", "CREATE", "INSERT"].contains { text.hasPrefix($0) }
    }
}
