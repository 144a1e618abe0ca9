/// The first 100 bytes of an SQLite database file, as far as a restore needs them
/// (https://www.sqlite.org/fileformat2.html#the_database_header).
struct DatabaseHeader {
    static let size = 100
    static let magic = Array("SQLite format 3\u{0}".utf8)

    /// Bytes per page.
    let pageSize: Int64
    /// The in-header page count, when SQLite itself would trust it.
    let pageCount: Int64?

    /// Nil when `bytes` is not the start of an SQLite database.
    init?(_ bytes: [UInt8]) {
        guard bytes.count >= Self.size, bytes.starts(with: Self.magic) else { return nil }
        func uint32(_ at: Int) -> Int64 { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int64($1) } }
        let raw = Int64(bytes[16]) << 8 | Int64(bytes[17])
        // 1 stands for 65536, which does not fit the two bytes.
        let size = raw == 1 ? 65536 : raw
        guard size >= 512, size <= 65536, size & (size - 1) == 0 else { return nil }
        pageSize = size
        // The count at 28 is valid only if non-zero and the change counter (24) equals the
        // version-valid-for number (92); a file last written by SQLite before 3.7.0 fails that,
        // and SQLite then goes by the file's size instead.
        let count = uint32(28)
        pageCount = count > 0 && uint32(24) == uint32(92) ? count : nil
    }

    /// The size of the database the header describes, when its page count is valid.
    var declaredSize: Int64? { pageCount.map { $0 * pageSize } }
}
