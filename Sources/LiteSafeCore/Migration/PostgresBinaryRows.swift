/// The rows of a binary `COPY … TO STDOUT` stream
/// (https://www.postgresql.org/docs/15/sql-copy.html, "Binary Format"), whatever the message
/// boundaries: a row cut between two messages waits for the rest.
struct PostgresBinaryRows {
    /// What is not a binary COPY stream.
    struct Malformed: Error, Equatable {}

    private var headerSeen = false
    private var ended = false
    private var pending: [UInt8] = []

    /// Whether the stream ended whole: header, rows, the trailer, and nothing after.
    var complete: Bool { ended && pending.isEmpty }

    /// Reads the next bytes of the stream; `row` gets each whole row's field count and its
    /// fields (each a 32-bit big-endian length, -1 for NULL, and that many bytes).
    mutating func feed(
        _ bytes: UnsafeRawBufferPointer, row: (_ fields: Int, _ body: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        if pending.isEmpty {
            let used = try consume(bytes, row)
            if used < bytes.count { pending.append(contentsOf: bytes[used...]) }
        } else {
            var buffer = pending
            pending = []
            buffer.append(contentsOf: bytes)
            let used = try buffer.withUnsafeBytes { try consume($0, row) }
            pending = Array(buffer[used...])
        }
    }

    /// Reads the whole rows at the start of `bytes`; returns how many bytes they took.
    private mutating func consume(
        _ bytes: UnsafeRawBufferPointer, _ row: (Int, UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        var at = 0
        if !headerSeen {
            let length = PostgresValue.binaryHeader.count
            guard bytes.count >= length else { return 0 }
            guard bytes[0..<11].elementsEqual(PostgresValue.binaryHeader[0..<11]) else { throw Malformed() }
            // The header extension: its length, then that many bytes.
            let extra = Int(Self.int32(bytes, at: 15))
            guard extra >= 0 else { throw Malformed() }
            guard bytes.count >= length + extra else { return 0 }
            at = length + extra
            headerSeen = true
        }
        while !ended, bytes.count - at >= 2 {
            let fields = Int(Int16(bitPattern: UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])))
            if fields == -1 {
                ended = true
                return at + 2
            }
            guard fields >= 0 else { throw Malformed() }
            var end = at + 2
            for _ in 0..<fields {
                guard bytes.count - end >= 4 else { return at }
                let length = Int(Self.int32(bytes, at: end))
                guard length >= -1 else { throw Malformed() }
                end += 4 + max(length, 0)
                guard end <= bytes.count else { return at }
            }
            try row(fields, UnsafeRawBufferPointer(rebasing: bytes[(at + 2)..<end]))
            at = end
        }
        return at
    }

    /// The big-endian 32-bit integer at `offset` (unaligned).
    static func int32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int32 {
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(bytes[offset + i]) }
        return Int32(bitPattern: value)
    }
}
