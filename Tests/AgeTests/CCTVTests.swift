import Crypto
import Foundation
import Testing

@testable import Age

/// Runs every C2SP CCTV age vector: the outcome class and the SHA-256 of all plaintext
/// released (also on failure) must match, whether the file arrives whole or in pieces.
@Suite struct CCTVTests {
    /// The vectors that cannot run, with the reason: printed by `skippedVectorsAreListed`.
    static let skipped: [(name: String, reason: String)] = CCTVVector.allNames.compactMap { name in
        CCTVVector.skipReason(name).map { (name, $0) }
    }

    static let runnable: [String] = CCTVVector.allNames.filter { CCTVVector.skipReason($0) == nil }

    @Test func allVectorsArePresent() {
        #expect(CCTVVector.allNames.count == 143)
    }

    @Test func skippedVectorsAreListed() {
        let list = Self.skipped.map { "  \($0.name): \($0.reason)" }.joined(separator: "\n")
        print("CCTV vectors skipped: \(Self.skipped.count)\(list.isEmpty ? "" : "\n" + list)")
        #expect(Self.skipped.isEmpty)
    }

    @Test(arguments: runnable)
    func vector(_ name: String) throws {
        let vector = try CCTVVector(name: name)
        for pieceSize in [Int.max, 1021] {
            let outcome = decrypt(vector, pieceSize: pieceSize)
            let result = outcome.error.map(String.init(describing:)) ?? "success"
            let context = "\(name) (\(vector.comment ?? "no comment")), pieces of \(pieceSize): \(result)"
            #expect(Self.classify(outcome.error) == vector.expect, "\(context)")
            if let expected = vector.payloadHash {
                #expect(Self.hex(SHA256.hash(data: outcome.released)) == expected, "\(context)")
            } else {
                #expect(outcome.released.isEmpty, "\(context)")
            }
            if vector.expect == .success || vector.expect == .payloadFailure || vector.expect == .hmacFailure {
                #expect(outcome.fileKey?.bytes == vector.fileKey, "\(context)")
            }
        }
    }

    /// Decrypts, returning what was released and the error, if any.
    private func decrypt(_ vector: CCTVVector, pieceSize: Int) -> (
        released: [UInt8], error: (any Error)?, fileKey: AgeFileKey?
    ) {
        var released: [UInt8] = []
        let decryptor: AgeDecryptor
        do {
            decryptor = AgeDecryptor(
                identities: try vector.makeIdentities(), armor: vector.armored ? .armored : .detect)
        } catch {
            return (released, error, nil)
        }
        do {
            var offset = 0
            repeat {
                let end = offset + min(pieceSize, vector.file.count - offset)
                try vector.file[offset..<end].withUnsafeBytes { try decryptor.update($0) { released += $0 } }
                offset = end
            } while offset < vector.file.count
            try decryptor.finish { released += $0 }
            return (released, nil, decryptor.fileKey)
        } catch {
            return (released, error, decryptor.fileKey)
        }
    }

    /// Maps our error cases onto the vector suite's outcome classes.
    static func classify(_ error: (any Error)?) -> CCTVVector.Expectation? {
        guard let error else { return .success }
        guard let error = error as? AgeError else { return nil }
        switch error {
        case .noIdentityMatched: return .noMatch
        case .headerMACMismatch: return .hmacFailure
        case .malformedHeader, .scryptMustBeAlone, .scryptWorkFactorTooHigh, .unsupportedRecipientType:
            return .headerFailure
        case .payloadAuthenticationFailed, .payloadTruncated, .trailingData, .emptyFinalChunk:
            return .payloadFailure
        case .armor: return .armorFailure
        case .invalidRecipient, .invalidIdentity, .noRecipients: return nil
        }
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
