import Foundation
import TestTools
import Testing
import Zstd

@Suite("Zstd streaming")
struct DecompressorTests {
    private func compress(_ input: [UInt8], level: Int = 3, workers: Int = 0, jobSize: Int? = nil) throws
        -> [UInt8]
    {
        let compressor = try Compressor(level: level, workers: workers, jobSize: jobSize)
        var out: [UInt8] = []
        try input.withUnsafeBytes { try compressor.update($0) { out.append(contentsOf: $0) } }
        try compressor.finish { out.append(contentsOf: $0) }
        return out
    }

    private func decompress(_ input: [UInt8], limit: Int64 = .max, piece: Int = 1 << 20) throws -> [UInt8] {
        let decompressor = try Decompressor(limit: limit)
        var out: [UInt8] = []
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + piece)
            try input[offset..<end].withUnsafeBytes { try decompressor.update($0) { out.append(contentsOf: $0) } }
            offset = end
        }
        try decompressor.finish()
        return out
    }

    // 655360 is five times zstd's output buffer: the case that once read as truncated.
    @Test(
        "round trip, including outputs that are exact multiples of the buffer",
        arguments: [0, 1, 131_072, 655_360, 1_000_003])
    func roundTrip(size: Int) throws {
        let input = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 1000) }
        #expect(try decompress(compress(input)) == input)
        #expect(try decompress(compress(input), piece: 1000) == input)
    }

    @Test(
        "multi-threaded output (zstd's jobs, or the backup's 4 MiB ones) is a standard frame the zstd CLI reads",
        arguments: [nil, 4 << 20])
    func workersAndCLI(jobSize: Int?) throws {
        let input = (0..<(9 << 20)).map { UInt8(truncatingIfNeeded: $0 / 3) }
        let compressed = try compress(input, workers: 2, jobSize: jobSize)
        let dir = try TemporaryDirectory()
        try Data(compressed).write(to: dir.appending("x.zst"))
        let result = try Subprocess.run("zstd", ["-t", "-q", dir.path + "/x.zst"])
        #expect(result.status == 0, "\(result)")
        #expect(try decompress(compressed) == input)
    }

    @Test("a truncated frame is an error")
    func truncated() throws {
        let compressed = try compress(Array(repeating: 7, count: 300_000))
        #expect(throws: Decompressor.Failure.truncated) { try decompress(Array(compressed.dropLast(3))) }
    }

    @Test("output past the limit stops a decompression bomb")
    func limit() throws {
        let compressed = try compress(Array(repeating: 0, count: 5 << 20), level: 19)
        #expect(compressed.count < 1000)
        #expect(throws: Decompressor.Failure.outputLimitExceeded(limit: 1 << 20)) {
            try decompress(compressed, limit: 1 << 20)
        }
    }

    @Test("garbage is corrupt, not a crash")
    func garbage() throws {
        #expect(throws: Decompressor.Failure.self) { try decompress([0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3, 4, 5, 6, 7, 8]) }
    }
}
