import Foundation
import TestTools

@testable import Age

/// What a decryption released before it ended, and how it ended.
struct DecryptionOutcome {
    var released: [UInt8] = []
    var error: (any Error)?

    var ageError: AgeError? { error as? AgeError }
}

enum AgeTesting {
    /// Decrypts `file`, feeding it in pieces of `pieceSize`, and records everything released.
    static func decrypt(
        _ file: [UInt8], with identities: [any AgeIdentity], pieceSize: Int = .max,
        armor: AgeDecryptor.ArmorHandling = .detect
    ) -> DecryptionOutcome {
        var outcome = DecryptionOutcome()
        let decryptor = AgeDecryptor(identities: identities, armor: armor)
        do {
            var offset = 0
            while offset < file.count {
                let end = offset + min(pieceSize, file.count - offset)
                try file[offset..<end].withUnsafeBytes { try decryptor.update($0) { outcome.released += $0 } }
                offset = end
            }
            try decryptor.finish { outcome.released += $0 }
        } catch {
            outcome.error = error
        }
        return outcome
    }

    /// Encrypts `plaintext`, feeding it in pieces of `pieceSize`.
    static func encrypt(
        _ plaintext: [UInt8], to recipients: [any AgeRecipient], pieceSize: Int = .max
    ) throws -> [UInt8] {
        var out: [UInt8] = []
        let encryptor = try AgeEncryptor(recipients: recipients)
        var offset = 0
        while offset < plaintext.count {
            let end = offset + min(pieceSize, plaintext.count - offset)
            try plaintext[offset..<end].withUnsafeBytes { try encryptor.update($0) { out += $0 } }
            offset = end
        }
        try encryptor.finish { out += $0 }
        return out
    }

    /// Deterministic pseudo-random bytes (SplitMix64): fast, and reproducible in failures.
    static func bytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        var state = seed
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < count {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                withUnsafeBytes(of: z.littleEndian) { word in
                    let n = min(8, count - offset)
                    buffer.baseAddress!.advanced(by: offset).copyMemory(from: word.baseAddress!, byteCount: n)
                }
                offset += 8
            }
        }
        return out
    }

    /// Offsets of the parts of a binary age file.
    struct Layout {
        let headerLength: Int
        var payloadStart: Int { headerLength + STREAM.payloadNonceSize }
        func chunkStart(_ index: Int) -> Int { payloadStart + index * STREAM.sealedChunkSize }
    }

    static func layout(of file: [UInt8]) throws -> Layout {
        var scanned = 0
        guard let length = try AgeHeader.completeLength(in: file, scanned: &scanned) else {
            throw AgeError.malformedHeader("incomplete")
        }
        return Layout(headerLength: length)
    }

    /// Runs `age`/`age-keygen` with a passphrase typed on a pseudo-terminal: age reads
    /// passphrases from /dev/tty only, so a pipe on stdin cannot provide one.
    static func runWithPassphrase(_ passphrase: String, _ arguments: [String]) throws -> ProcessResult {
        let script = """
            import os, pty, sys
            pw = sys.argv[1].encode()
            pid, fd = pty.fork()
            if pid == 0:
                os.execvp(sys.argv[2], sys.argv[2:])
            seen = b""
            answered = 0
            while True:
                try:
                    data = os.read(fd, 1024)
                except OSError:
                    break
                if not data:
                    break
                seen += data
                while answered < seen.count(b"passphrase"):
                    os.write(fd, pw + b"\\n")
                    answered += 1
            _, status = os.waitpid(pid, 0)
            sys.stderr.write(seen.decode(errors="replace"))
            sys.exit(os.waitstatus_to_exitcode(status))
            """
        return try Subprocess.run("python3", ["-c", script, passphrase] + arguments)
    }
}
