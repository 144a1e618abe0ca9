/// A fast, non-cryptographic 64-bit checksum of a byte stream (XXH64's round over four lanes),
/// the same however the stream is cut: what a captured backup's read-back compares with what was
/// written, where SHA-256 would cost two more passes over the stored file. It catches accidents
/// (a write the disk or kernel got wrong), not an adversary: the manifest's SHA-256 does that.
struct StreamChecksum {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let zeros = [UInt8](repeating: 0, count: 1 << 16)

    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (
        prime1 &+ prime2, prime2, 0, 0 &- prime1
    )
    /// Bytes of an unfinished 32-byte block.
    private var partial = [UInt8](repeating: 0, count: 32)
    private var partialCount = 0
    private var total: UInt64 = 0

    @inline(__always)
    private static func round(_ lane: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = lane &+ word &* prime2
        return (mixed << 31 | mixed >> 33) &* prime1
    }

    @inline(__always)
    private mutating func block(_ base: UnsafeRawPointer) {
        lanes.0 = Self.round(lanes.0, UInt64(littleEndian: base.loadUnaligned(as: UInt64.self)))
        lanes.1 = Self.round(lanes.1, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        lanes.2 = Self.round(lanes.2, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
        lanes.3 = Self.round(lanes.3, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress, !bytes.isEmpty else { return }
        var count = bytes.count
        total &+= UInt64(count)
        if partialCount > 0 {
            let taken = min(32 - partialCount, count)
            partial.withUnsafeMutableBytes {
                $0.baseAddress!.advanced(by: partialCount).copyMemory(from: base, byteCount: taken)
            }
            partialCount += taken
            base += taken
            count -= taken
            if partialCount < 32 { return }
            partial.withUnsafeBytes { block($0.baseAddress!) }
            partialCount = 0
        }
        while count >= 32 {
            block(base)
            base += 32
            count -= 32
        }
        if count > 0 {
            partial.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: base, byteCount: count) }
            partialCount = count
        }
    }

    /// Takes `count` zero bytes.
    mutating func update(zeros count: Int) {
        var left = count
        while left > 0 {
            let piece = min(left, Self.zeros.count)
            Self.zeros.withUnsafeBytes { update(UnsafeRawBufferPointer(rebasing: $0[..<piece])) }
            left -= piece
        }
    }

    func finalize() -> UInt64 {
        var hash = lanes.0 &+ lanes.1 &* 3 &+ lanes.2 &* 5 &+ lanes.3 &* 7 &+ total
        for index in 0..<partialCount { hash = (hash ^ UInt64(partial[index])) &* Self.prime1 }
        hash ^= hash >> 33
        hash &*= Self.prime2
        hash ^= hash >> 29
        hash &*= Self.prime3
        return hash ^ hash >> 32
    }
}
