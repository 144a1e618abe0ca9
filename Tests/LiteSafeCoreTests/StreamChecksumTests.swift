import Testing

@testable import LiteSafeCore

@Suite struct StreamChecksumTests {
    static let bytes: [UInt8] = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }

    func checksum(_ bytes: [UInt8], pieces: Int) -> UInt64 {
        var sum = StreamChecksum()
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + pieces)
            bytes[offset..<end].withUnsafeBytes { sum.update($0) }
            offset = end
        }
        return sum.finalize()
    }

    @Test("the same however the stream is cut", arguments: [1, 7, 31, 32, 33, 4096, 10_000])
    func cutAnywhere(pieces: Int) {
        #expect(checksum(Self.bytes, pieces: pieces) == checksum(Self.bytes, pieces: 10_000))
    }

    @Test("zeros given as a count are zeros given as bytes")
    func zeros() {
        var counted = StreamChecksum()
        Self.bytes[..<100].withUnsafeBytes { counted.update($0) }
        counted.update(zeros: 70_001)
        Self.bytes[100...].withUnsafeBytes { counted.update($0) }
        let given = Array(Self.bytes[..<100]) + [UInt8](repeating: 0, count: 70_001) + Array(Self.bytes[100...])
        #expect(counted.finalize() == checksum(given, pieces: 999))
    }

    @Test("any one flipped bit, a byte more or a byte less changes it")
    func catchesChanges() {
        let original = checksum(Self.bytes, pieces: 10_000)
        for position in stride(from: 0, to: Self.bytes.count, by: 97) {
            for bit in [0, 3, 7] {
                var changed = Self.bytes
                changed[position] ^= 1 << bit
                #expect(checksum(changed, pieces: 10_000) != original)
            }
        }
        #expect(checksum(Self.bytes + [0], pieces: 10_000) != original)
        #expect(checksum(Array(Self.bytes.dropLast()), pieces: 10_000) != original)
        #expect(
            checksum([UInt8](repeating: 0, count: 64), pieces: 64)
                != checksum([UInt8](repeating: 0, count: 65), pieces: 65))
    }
}
