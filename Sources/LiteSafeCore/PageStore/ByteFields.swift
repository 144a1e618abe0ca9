/// Little-endian fields appended to a byte array: the page store's binary formats.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func append(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }
}

/// Little-endian fields read from bytes in order; running past the end throws a
/// `PageStoreError` `.damagedObject` naming `object`.
struct ByteReader {
    let bytes: [UInt8]
    let object: String
    var offset = 0

    init(_ bytes: [UInt8], object: String, offset: Int = 0) {
        self.bytes = bytes
        self.object = object
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw PageStoreError(.damagedObject, object: object, reason: "it ends early, at byte \(bytes.count)")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func uint32() throws -> UInt32 {
        let slice = try take(4)
        return slice.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
    }

    mutating func uint64() throws -> UInt64 {
        let slice = try take(8)
        return slice.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    mutating func expect(_ magic: [UInt8], what: String) throws {
        guard try Array(take(magic.count)) == magic else {
            throw PageStoreError(.damagedObject, object: object, reason: "it is not \(what)")
        }
    }
}
