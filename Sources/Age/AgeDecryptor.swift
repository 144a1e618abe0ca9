import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Decrypts a binary or ASCII-armored age v1 file as a stream.
///
/// Plaintext reaches the sink only from chunks that authenticated and are known to be in
/// place (a chunk is held back until the decryptor knows whether it is the last). After a
/// failure every later call rethrows the same error. Error offsets count bytes of the
/// binary age file from its first byte (for armored input, of the decoded file).
public final class AgeDecryptor {
    /// How to treat ASCII armor.
    public enum ArmorHandling: Sendable {
        /// Armored if the input starts with whitespace or '-' (a binary file starts with "age-").
        case detect
        /// The input must be armored.
        case armored
        /// The input must be binary.
        case binary
    }

    private enum Framing {
        case undecided
        case armored(ArmorDecoder)
        case binary
    }

    private enum Phase {
        case header
        case nonce
        case payload(PayloadDecryptor)
    }

    private let identities: [any AgeIdentity]
    private let armorHandling: ArmorHandling
    private var framing = Framing.undecided
    private var phase = Phase.header
    private var headerBuffer: [UInt8] = []
    private var headerScanned = 0
    private var headerLength = 0
    /// The unwrapped file key, once the header has been read (tests compare it with vectors).
    private(set) var fileKey: AgeFileKey?
    private var nonce: [UInt8] = []
    private var failure: (any Error)?
    private var finished = false

    /// The stanza types of the header once it has been read, e.g. `["X25519", "X25519"]`.
    public private(set) var stanzaTypes: [String] = []

    /// Decrypts with the first of `identities` that matches a stanza, in order.
    public init(identities: [any AgeIdentity], armor: ArmorHandling = .detect) {
        self.identities = identities
        armorHandling = armor
    }

    /// Consumes ciphertext, passing released plaintext to `sink`.
    public func update(
        _ ciphertext: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        precondition(!finished, "AgeDecryptor.update called after finish")
        if let failure { throw failure }
        do {
            try decode(ciphertext, into: sink)
        } catch {
            failure = error
            throw error
        }
    }

    /// Checks that the file ended properly and releases the final chunk.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "AgeDecryptor.finish called twice")
        if let failure { throw failure }
        finished = true
        do {
            switch framing {
            case .undecided:
                if armorHandling == .armored { throw AgeError.armor("the input is empty") }
                throw AgeError.malformedHeader("the file is empty")
            case .armored(var armor):
                try armor.finish { try consume($0, into: sink) }
                framing = .armored(armor)
            case .binary:
                break
            }
            switch phase {
            case .header:
                throw AgeError.malformedHeader("the file ends inside the header, after \(headerBuffer.count) bytes")
            case .nonce:
                throw AgeError.malformedHeader("the file ends before the 16-byte payload nonce")
            case .payload(var payload):
                try payload.finish(into: sink)
                phase = .payload(payload)
            }
        } catch {
            failure = error
            throw error
        }
    }

    private func decode(_ bytes: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let first = bytes.first else { return }
        if case .undecided = framing {
            let armored: Bool
            switch armorHandling {
            case .detect: armored = first == UInt8(ascii: "-") || ArmorDecoder.isWhitespace(first)
            case .armored: armored = true
            case .binary: armored = false
            }
            framing = armored ? .armored(ArmorDecoder()) : .binary
        }
        switch framing {
        case .armored(var armor):
            // Reset first so the decoder's buffers are uniquely referenced while it runs.
            framing = .undecided
            defer { framing = .armored(armor) }
            try armor.feed(bytes) { try consume($0, into: sink) }
        case .binary, .undecided:
            try consume(bytes, into: sink)
        }
    }

    /// Consumes bytes of the binary age file.
    private func consume(_ bytes: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var input = bytes[...]
        while !input.isEmpty {
            switch phase {
            case .header:
                // Feed the header in small pieces so payload bytes are not copied along.
                let piece = input.prefix(4096)
                headerBuffer.append(contentsOf: piece)
                input = input.dropFirst(piece.count)
                if let length = try AgeHeader.completeLength(in: headerBuffer, scanned: &headerScanned) {
                    try openHeader(length: length)
                    let leftover = Array(headerBuffer[length...])
                    headerBuffer = []
                    phase = .nonce
                    try leftover.withUnsafeBytes { try consume($0, into: sink) }
                }
            case .nonce:
                let piece = input.prefix(STREAM.payloadNonceSize - nonce.count)
                nonce.append(contentsOf: piece)
                input = input.dropFirst(piece.count)
                if nonce.count == STREAM.payloadNonceSize, let fileKey {
                    let key = STREAM.payloadKey(fileKey: fileKey, nonce: nonce)
                    phase = .payload(PayloadDecryptor(key: key, baseOffset: headerLength + STREAM.payloadNonceSize))
                }
            case .payload(var payload):
                phase = .header  // keep `payload` uniquely referenced while it runs
                defer { phase = .payload(payload) }
                try payload.update(UnsafeRawBufferPointer(rebasing: input), into: sink)
                input = input.dropFirst(input.count)
            }
        }
    }

    /// Parses the header, finds the file key and verifies the MAC (spec "Header").
    private func openHeader(length: Int) throws {
        let header = try AgeHeader.parse(headerBuffer[..<length])
        headerLength = length
        stanzaTypes = header.stanzas.map(\.type)
        // Spec: "The identity implementation MUST reject headers where an scrypt stanza is
        // present alongside any other stanza", whichever identities are offered.
        if header.stanzas.count > 1, stanzaTypes.contains("scrypt") { throw AgeError.scryptMustBeAlone }
        for identity in identities {
            if let key = try identity.unwrap(header.stanzas) {
                fileKey = key
                break
            }
        }
        guard let fileKey else {
            throw AgeError.noIdentityMatched(recipientTypes: AgeError.summarize(stanzaTypes: stanzaTypes))
        }
        guard header.verifyMAC(fileKey: fileKey) else { throw AgeError.headerMACMismatch }
    }
}
