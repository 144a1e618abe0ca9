import Foundation
import TestTools
import Testing
import Zstd

@Suite("Zstd raw frames")
struct RawFrameTests {
    private func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }

    private func frame(_ content: [UInt8]) -> [UInt8] { content.withUnsafeBytes { RawFrame.encode($0) } }

    private func compress(_ input: [UInt8]) throws -> [UInt8] {
        let compressor = try Compressor(level: 3)
        var out: [UInt8] = []
        try input.withUnsafeBytes { try compressor.update($0) { out.append(contentsOf: $0) } }
        try compressor.finish { out.append(contentsOf: $0) }
        return out
    }

    /// What the stock `zstd -d` makes of `file`.
    private func stockDecompress(_ file: String) throws -> ProcessResult {
        try Subprocess.run("zstd", ["-d", "-c", "-q", file])
    }

    // The sizes around each Frame_Content_Size field width, SQLite's page sizes, and one block's limit.
    @Test(
        "the stock zstd decodes a raw frame of any one-block size, exactly as long as announced",
        arguments: [0, 1, 255, 256, 512, 4096, 65535, 65536, 65791, 65792, 131_072])
    func stockDecoder(size: Int) throws {
        let content = random(size)
        let encoded = frame(content)
        #expect(encoded.count == RawFrame.size(contentSize: size))
        #expect(encoded.count == size + (size < 256 ? 9 : size < 65792 ? 10 : 12))
        let dir = try TemporaryDirectory()
        try Data(encoded).write(to: dir.appending("page.zst"))
        let result = try stockDecompress(dir.path + "/page.zst")
        #expect(result.status == 0, "\(result)")
        #expect(Array(result.stdout) == content)
        let decompressor = try Decompressor()
        var ours: [UInt8] = []
        try encoded.withUnsafeBytes { try decompressor.update($0) { ours.append(contentsOf: $0) } }
        try decompressor.finish()
        #expect(ours == content)
    }

    @Test("a slot reserved at the start and filled last with a raw frame makes one stream with the compressed rest")
    func reservedSlotFilledLast() throws {
        let head = random(4096)
        let body = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 / 5 ^ $0 >> 13) }
        let dir = try TemporaryDirectory()
        let path = dir.path + "/db.zst"
        // Written as a pipeline would: room for the head first, the rest as it comes, the head last.
        let slot = RawFrame.size(contentSize: head.count)
        var file = [UInt8](repeating: 0, count: slot) + (try compress(body))
        try Data(file).write(to: URL(fileURLWithPath: path))
        #expect(try stockDecompress(path).status != 0, "an unfilled slot is not a zstd stream")
        file.replaceSubrange(0..<slot, with: frame(head))
        try Data(file).write(to: URL(fileURLWithPath: path))
        let result = try stockDecompress(path)
        #expect(result.status == 0, "\(result)")
        #expect(Array(result.stdout) == head + body)
        #expect(try Subprocess.run("zstd", ["-t", "-q", path]).status == 0)
    }
}
