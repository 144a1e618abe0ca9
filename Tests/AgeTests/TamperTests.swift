import Crypto
import Foundation
import Testing

@testable import Age

/// Modified files fail with the right error, and what was released before the failure is
/// exactly a prefix of the genuine plaintext, however the input is split.
@Suite struct TamperTests {
    /// A file of four chunks (three full, one short) and what is needed to forge chunks.
    struct Fixture {
        let identity = X25519Identity.generate()
        let plaintext: [UInt8]
        let file: [UInt8]
        let layout: AgeTesting.Layout
        let payloadKey: SymmetricKey

        init(plaintextSize: Int = 3 * STREAM.chunkSize + 1000) throws {
            plaintext = AgeTesting.bytes(plaintextSize, seed: 42)
            file = try Age.encrypt(plaintext, to: [identity.recipient])
            layout = try AgeTesting.layout(of: file)
            // The file key, recovered by the decryptor, lets a test forge chunks.
            let decryptor = AgeDecryptor(identities: [identity])
            try file.withUnsafeBytes { try decryptor.update($0) { _ in } }
            let fileKey = try #require(decryptor.fileKey)
            let nonce = Array(file[layout.headerLength..<layout.payloadStart])
            payloadKey = STREAM.payloadKey(fileKey: fileKey, nonce: nonce)
        }

        var chunkCount: Int { (plaintext.count + STREAM.chunkSize - 1) / STREAM.chunkSize }

        /// Plaintext of chunks `0..<count`.
        func prefix(chunks count: Int) -> [UInt8] { Array(plaintext.prefix(count * STREAM.chunkSize)) }

        /// Chunk `index` sealed again with the given last-chunk flag.
        func reseal(_ index: Int, last: Bool) throws -> [UInt8] {
            let chunk = Array(
                plaintext[(index * STREAM.chunkSize)..<min(plaintext.count, (index + 1) * STREAM.chunkSize)])
            var out: [UInt8] = []
            _ = try chunk.withUnsafeBytes {
                try STREAM.seal($0, key: payloadKey, counter: UInt64(index), last: last) { out += $0 }
            }
            return out
        }

        /// The file with chunk `index` replaced by `replacement`.
        func replacing(chunk index: Int, with replacement: [UInt8]) -> [UInt8] {
            let start = layout.chunkStart(index)
            let end = min(file.count, start + STREAM.sealedChunkSize)
            return Array(file[..<start]) + replacement + Array(file[end...])
        }

        /// Decrypts `tampered` whole and in pieces; every way must agree.
        func check(
            _ tampered: [UInt8], error expected: AgeError, released: [UInt8], identities: [any AgeIdentity]? = nil
        ) {
            for pieceSize in [Int.max, 65552, 4099, 1000] {
                let outcome = AgeTesting.decrypt(tampered, with: identities ?? [identity], pieceSize: pieceSize)
                #expect(outcome.ageError == expected, "pieces of \(pieceSize): \(String(describing: outcome.error))")
                #expect(outcome.released.count == released.count, "pieces of \(pieceSize)")
                #expect(outcome.released == released, "pieces of \(pieceSize)")
            }
        }
    }

    private func flipping(_ bytes: [UInt8], at offset: Int, bit: UInt8 = 0x01) -> [UInt8] {
        var copy = bytes
        copy[offset] ^= bit
        return copy
    }

    @Test func untamperedFileDecrypts() throws {
        let f = try Fixture()
        for pieceSize in [Int.max, 65552, 4099, 1000] {
            let outcome = AgeTesting.decrypt(f.file, with: [f.identity], pieceSize: pieceSize)
            #expect(outcome.error == nil)
            #expect(outcome.released == f.plaintext)
        }
    }

    @Test func flippedBitInVersionLine() throws {
        let f = try Fixture()
        let outcome = AgeTesting.decrypt(flipping(f.file, at: 3), with: [f.identity])
        guard case .malformedHeader = outcome.ageError else {
            Issue.record("expected malformedHeader, got \(String(describing: outcome.error))")
            return
        }
        #expect(outcome.released.isEmpty)
    }

    @Test func flippedBitInOurStanzaBody() throws {
        let f = try Fixture()
        // The stanza body line is the third header line.
        let lines = f.file.split(separator: 0x0A, maxSplits: 3, omittingEmptySubsequences: false)
        let bodyStart = lines[0].count + 1 + lines[1].count + 1
        // 'A' <-> 'B' keeps the line valid base64 but changes a ciphertext bit.
        var tampered = f.file
        tampered[bodyStart] = tampered[bodyStart] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        f.check(tampered, error: .noIdentityMatched(recipientTypes: ["X25519"]), released: [])
    }

    @Test func flippedBitInAnotherRecipientsStanza() throws {
        let identity = X25519Identity.generate()
        let other = X25519Identity.generate()
        let plaintext = AgeTesting.bytes(1000)
        let file = try Age.encrypt(plaintext, to: [identity.recipient, other.recipient])
        // Our stanza still opens, but the header no longer matches its MAC.
        let text = Array(file)
        let lines = text.split(separator: 0x0A, maxSplits: 5, omittingEmptySubsequences: false)
        let secondBody = lines[0...3].reduce(0) { $0 + $1.count + 1 }
        var tampered = text
        tampered[secondBody] = tampered[secondBody] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let outcome = AgeTesting.decrypt(tampered, with: [identity])
        #expect(outcome.ageError == .headerMACMismatch)
        #expect(outcome.released.isEmpty)
    }

    @Test func flippedBitInMAC() throws {
        let f = try Fixture()
        let macLine = f.file[..<f.layout.headerLength].lastIndex(of: 0x0A).map {
            f.file[..<$0].lastIndex(of: 0x0A)! + 1
        }!
        let macText = f.file[(macLine + 4)..<(f.layout.headerLength - 1)]
        var mac = try #require(Base64.decodeUnpadded(macText))
        mac[5] ^= 0x10
        let tampered =
            Array(f.file[..<(macLine + 4)]) + Array(Base64.encode(mac).utf8)
            + Array(f.file[(f.layout.headerLength - 1)...])
        f.check(tampered, error: .headerMACMismatch, released: [])
        // A flipped bit in the MAC's text that breaks canonical base64 is a malformed header.
        let raw = flipping(f.file, at: f.layout.headerLength - 2, bit: 0x80)
        guard case .malformedHeader = AgeTesting.decrypt(raw, with: [f.identity]).ageError else {
            Issue.record("expected malformedHeader")
            return
        }
    }

    @Test("a flipped bit in a chunk fails that chunk and releases only the chunks before it", arguments: [0, 1, 3])
    func flippedBitInChunk(index: Int) throws {
        let f = try Fixture()
        let tampered = flipping(f.file, at: f.layout.chunkStart(index) + 100)
        f.check(
            tampered, error: .payloadAuthenticationFailed(offset: f.layout.chunkStart(index)),
            released: f.prefix(chunks: index))
        // The tag, too.
        let tag = index == 3 ? f.file.count - 1 : f.layout.chunkStart(index + 1) - 1
        f.check(
            flipping(f.file, at: tag), error: .payloadAuthenticationFailed(offset: f.layout.chunkStart(index)),
            released: f.prefix(chunks: index))
    }

    @Test func flippedBitInPayloadNonce() throws {
        let f = try Fixture()
        f.check(
            flipping(f.file, at: f.layout.headerLength),
            error: .payloadAuthenticationFailed(offset: f.layout.chunkStart(0)), released: [])
    }

    @Test func clearedLastChunkFlagOnFullFinalChunk() throws {
        let f = try Fixture(plaintextSize: 2 * STREAM.chunkSize)
        let tampered = f.replacing(chunk: 1, with: try f.reseal(1, last: false))
        // Every chunk is genuine but the final one is missing: a truncation at a boundary.
        f.check(tampered, error: .payloadTruncated(offset: tampered.count), released: f.plaintext)
    }

    @Test func clearedLastChunkFlagOnShortFinalChunk() throws {
        let f = try Fixture()
        let tampered = f.replacing(chunk: 3, with: try f.reseal(3, last: false))
        f.check(
            tampered, error: .payloadAuthenticationFailed(offset: f.layout.chunkStart(3)), released: f.prefix(chunks: 3)
        )
    }

    @Test func setLastChunkFlagOnMiddleChunk() throws {
        let f = try Fixture()
        let tampered = f.replacing(chunk: 1, with: try f.reseal(1, last: true))
        // Chunk 1 is a genuine final chunk of a shorter file; what follows it is not.
        f.check(tampered, error: .trailingData(offset: f.layout.chunkStart(2)), released: f.prefix(chunks: 2))
    }

    @Test func emptyNonFinalChunkIsRejected() throws {
        let f = try Fixture(plaintextSize: 1000)
        var empty: [UInt8] = []
        _ = try [UInt8]().withUnsafeBytes {
            try STREAM.seal($0, key: f.payloadKey, counter: 0, last: false) { empty += $0 }
        }
        var final: [UInt8] = []
        _ = try f.plaintext.withUnsafeBytes {
            try STREAM.seal($0, key: f.payloadKey, counter: 1, last: true) { final += $0 }
        }
        let tampered = Array(f.file[..<f.layout.payloadStart]) + empty + final
        f.check(tampered, error: .payloadAuthenticationFailed(offset: f.layout.payloadStart), released: [])
    }

    @Test func emptyFinalChunkAfterFullChunkIsRejected() throws {
        let f = try Fixture(plaintextSize: STREAM.chunkSize)
        var empty: [UInt8] = []
        _ = try [UInt8]().withUnsafeBytes {
            try STREAM.seal($0, key: f.payloadKey, counter: 1, last: true) { empty += $0 }
        }
        let tampered = f.replacing(chunk: 0, with: try f.reseal(0, last: false)) + empty
        f.check(tampered, error: .emptyFinalChunk(offset: f.layout.chunkStart(1)), released: f.plaintext)
    }

    @Test func truncatedAtChunkBoundary() throws {
        let f = try Fixture()
        let tampered = Array(f.file[..<f.layout.chunkStart(3)])
        f.check(tampered, error: .payloadTruncated(offset: f.layout.chunkStart(3)), released: f.prefix(chunks: 3))
        let noChunks = Array(f.file[..<f.layout.payloadStart])
        f.check(noChunks, error: .payloadTruncated(offset: f.layout.payloadStart), released: [])
    }

    @Test func truncatedInsideChunk() throws {
        let f = try Fixture()
        let tampered = Array(f.file[..<(f.layout.chunkStart(1) + 5000)])
        f.check(
            tampered, error: .payloadAuthenticationFailed(offset: f.layout.chunkStart(1)), released: f.prefix(chunks: 1)
        )
        let insideTag = Array(f.file[..<(f.layout.chunkStart(2) + 10)])
        f.check(insideTag, error: .payloadTruncated(offset: insideTag.count), released: f.prefix(chunks: 2))
    }

    @Test func truncatedInsideHeaderOrNonce() throws {
        let f = try Fixture()
        for cut in [0, 10, f.layout.headerLength - 1, f.layout.headerLength, f.layout.payloadStart - 1] {
            let outcome = AgeTesting.decrypt(Array(f.file[..<cut]), with: [f.identity])
            guard case .malformedHeader = outcome.ageError else {
                Issue.record("cut at \(cut): expected malformedHeader, got \(String(describing: outcome.error))")
                continue
            }
            #expect(outcome.released.isEmpty)
        }
    }

    @Test func appendedBytesAfterFullFinalChunk() throws {
        let f = try Fixture(plaintextSize: 2 * STREAM.chunkSize)
        f.check(f.file + [0], error: .trailingData(offset: f.file.count), released: f.plaintext)
        f.check(f.file + f.file, error: .trailingData(offset: f.file.count), released: f.plaintext)
    }

    @Test func appendedBytesAfterShortFinalChunk() throws {
        let f = try Fixture()
        // The chunk boundary is not recorded, so the extended last chunk fails to authenticate.
        f.check(
            f.file + [0, 1, 2], error: .payloadAuthenticationFailed(offset: f.layout.chunkStart(3)),
            released: f.prefix(chunks: 3))
    }

    @Test func wrongIdentity() throws {
        let f = try Fixture()
        f.check(
            f.file, error: .noIdentityMatched(recipientTypes: ["X25519"]), released: [],
            identities: [X25519Identity.generate()])
        f.check(f.file, error: .noIdentityMatched(recipientTypes: ["X25519"]), released: [], identities: [])
    }
}
