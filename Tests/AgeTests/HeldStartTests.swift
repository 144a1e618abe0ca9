import Foundation
import TestTools
import Testing

@testable import Age

/// An encryptor whose start is given last (`init(recipients:holdingStart:)`): a backup whose
/// first plaintext bytes (page 1 of a captured database) are known only at the end.
@Suite struct HeldStartTests {
    let identity = X25519Identity.generate()

    /// Encrypts `plaintext` with its first `start` bytes given as zeros and then for real at
    /// `finish`, writing the late bytes over the stream as a store would.
    func encryptHoldingStart(_ plaintext: [UInt8], start: Int, pieceSize: Int) throws -> (
        file: [UInt8], late: AgeEncryptor.LateStart?
    ) {
        let encryptor = try AgeEncryptor(recipients: [identity.recipient], holdingStart: start)
        var file: [UInt8] = []
        var given = Array(plaintext)
        given.replaceSubrange(0..<start, with: [UInt8](repeating: 0, count: start))
        var offset = 0
        while offset < given.count {
            let end = min(given.count, offset + pieceSize)
            try given[offset..<end].withUnsafeBytes { try encryptor.update($0) { file += $0 } }
            offset = end
        }
        let late = try encryptor.finish(replacingStart: Array(plaintext[..<start])) { file += $0 }
        if let late {
            let range = Int(late.offset)..<(Int(late.offset) + late.bytes.count)
            #expect(file[range].allSatisfy { $0 == 0 }, "the stream carries zeros where the late bytes go")
            file.replaceSubrange(range, with: late.bytes)
        }
        return (file, late)
    }

    @Test(
        "the file is the plaintext's, whatever the sizes",
        arguments: [
            (4106, 4106), (4106, 65536), (4106, 65537), (4106, 300_000), (65546, 65546), (65546, 131_072),
            (65546, 131_073), (65546, 500_000), (1, 1), (1, 65537),
        ],
        [1000, 65536, Int.max])
    func roundTrip(sizes: (start: Int, total: Int), pieceSize: Int) throws {
        let plaintext = AgeTesting.bytes(sizes.total, seed: UInt64(sizes.total))
        let (file, late) = try encryptHoldingStart(plaintext, start: sizes.start, pieceSize: pieceSize)
        let heldChunks = (sizes.start + 65535) / 65536
        // Late bytes exactly when more plaintext followed the held chunks.
        #expect((late != nil) == (sizes.total > heldChunks * 65536))
        let outcome = AgeTesting.decrypt(file, with: [identity], pieceSize: 65536)
        #expect(outcome.error == nil)
        #expect(outcome.released == plaintext)
    }

    @Test("nothing but zeros is ever emitted for the held chunks: no placeholder is sealed")
    func placeholderNeverSealed() throws {
        // Sealing zeros and then the real start under one nonce would give the start away (their
        // ciphertexts XOR to the plaintexts' XOR). The zeros the stream carries are the only bytes
        // it has there, so no ciphertext of the placeholder exists.
        let plaintext = AgeTesting.bytes(3 * 65536 + 5, seed: 9)
        let encryptor = try AgeEncryptor(recipients: [identity.recipient], holdingStart: 4106)
        var streamed: [UInt8] = []
        var given = plaintext
        given.replaceSubrange(0..<4106, with: [UInt8](repeating: 0, count: 4106))
        try given.withUnsafeBytes { try encryptor.update($0) { streamed += $0 } }
        let late = try #require(try encryptor.finish(replacingStart: Array(plaintext[..<4106])) { streamed += $0 })
        let layout = try AgeTesting.layout(of: streamed)
        #expect(late.offset == Int64(layout.payloadStart))
        #expect(late.bytes.count == STREAM.sealedChunkSize)
        #expect(streamed[layout.chunkStart(0)..<layout.chunkStart(1)].allSatisfy { $0 == 0 })
        #expect(streamed.count == layout.payloadStart + 3 * STREAM.sealedChunkSize + 5 + STREAM.tagSize)
    }

    @Test("the stock age CLI decrypts a file whose start was written last")
    func stockAgeDecrypts() throws {
        let dir = try TemporaryDirectory("age-held-start")
        let keyPath = dir.path + "/key.txt"
        _ = try Subprocess.run("age-keygen", ["-o", keyPath])
        let recipient = try X25519Recipient(
            parsing: try Subprocess.run("age-keygen", ["-y", keyPath]).output.trimmingCharacters(
                in: .whitespacesAndNewlines))
        let plaintext = AgeTesting.bytes(5 * 65536 + 77, seed: 3)
        let encryptor = try AgeEncryptor(recipients: [recipient], holdingStart: 4106)
        var file: [UInt8] = []
        var given = plaintext
        given.replaceSubrange(0..<4106, with: [UInt8](repeating: 0, count: 4106))
        try given.withUnsafeBytes { try encryptor.update($0) { file += $0 } }
        let late = try #require(try encryptor.finish(replacingStart: Array(plaintext[..<4106])) { file += $0 })
        file.replaceSubrange(Int(late.offset)..<(Int(late.offset) + late.bytes.count), with: late.bytes)
        let decrypted = try Subprocess.run("age", ["-d", "-i", keyPath], input: Data(file))
        #expect(decrypted.status == 0, "\(decrypted.errorOutput)")
        #expect(decrypted.stdout == Data(plaintext))
    }
}
