import Foundation
import TestTools
import Testing

@testable import Age

/// Byte-for-byte interoperability with the real age 1.1.1 and age-keygen binaries.
@Suite struct InteropTests {
    static let sizes = [0, 1, 65535, 65536, 65537, 3 * 65536 + 1, 50 << 20]

    /// A key pair made by age-keygen, kept in a file for the age CLI.
    struct AgeKey {
        let path: String
        let recipient: String
        let identity: any AgeIdentity

        init(in dir: TemporaryDirectory, name: String) throws {
            path = dir.path + "/\(name).txt"
            let made = try Subprocess.run("age-keygen", ["-o", path])
            guard made.status == 0 else { throw CocoaError(.fileWriteUnknown) }
            recipient = try Subprocess.run("age-keygen", ["-y", path]).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            identity = try #require(AgeKeys.parseIdentities(text, source: path).first)
        }
    }

    @Test("age encrypts, we decrypt", arguments: sizes)
    func ageToUs(size: Int) throws {
        let dir = try TemporaryDirectory("age-interop")
        let key = try AgeKey(in: dir, name: "key")
        let plaintext = AgeTesting.bytes(size, seed: UInt64(size))
        let encrypted = try Subprocess.run("age", ["-r", key.recipient], input: Data(plaintext))
        #expect(encrypted.status == 0, "\(encrypted)")
        let decrypted = try Age.decrypt(Array(encrypted.stdout), with: [key.identity])
        #expect(decrypted == plaintext)
    }

    @Test("we encrypt, age decrypts", arguments: sizes)
    func usToAge(size: Int) throws {
        let dir = try TemporaryDirectory("age-interop")
        let key = try AgeKey(in: dir, name: "key")
        let plaintext = AgeTesting.bytes(size, seed: UInt64(size) + 7)
        // Odd piece sizes exercise the staging path as well as the direct one.
        let encrypted = try AgeEncryptorHarness.encrypt(plaintext, to: [X25519Recipient(parsing: key.recipient)])
        let decrypted = try Subprocess.run("age", ["-d", "-i", key.path], input: Data(encrypted))
        #expect(decrypted.status == 0, "\(decrypted.errorOutput)")
        #expect(decrypted.stdout == Data(plaintext))
        // The payload length is exactly what STREAM prescribes: no padding, no extra chunk.
        let layout = try AgeTesting.layout(of: encrypted)
        let chunks = max(1, (size + STREAM.chunkSize - 1) / STREAM.chunkSize)
        #expect(encrypted.count == layout.payloadStart + size + chunks * STREAM.tagSize)
    }

    @Test("several recipients: each identity opens the file, both directions", arguments: [2, 3])
    func multipleRecipients(count: Int) throws {
        let dir = try TemporaryDirectory("age-interop")
        let keys = try (0..<count).map { try AgeKey(in: dir, name: "key\($0)") }
        let plaintext = AgeTesting.bytes(200_000, seed: UInt64(count))

        let ours = try Age.encrypt(plaintext, to: keys.map { try X25519Recipient(parsing: $0.recipient) })
        for key in keys {
            let decrypted = try Subprocess.run("age", ["-d", "-i", key.path], input: Data(ours))
            #expect(decrypted.status == 0, "\(decrypted.errorOutput)")
            #expect(decrypted.stdout == Data(plaintext))
        }

        let theirs = try Subprocess.run("age", keys.flatMap { ["-r", $0.recipient] }, input: Data(plaintext))
        #expect(theirs.status == 0)
        for key in keys {
            #expect(try Age.decrypt(Array(theirs.stdout), with: [key.identity]) == plaintext)
        }
        // A recipients file (age -R) with comments and blank lines, read by both sides.
        let list = "# backup keys\n\n" + keys.map(\.recipient).joined(separator: "\n") + "\n"
        let recipients = try AgeKeys.parseRecipients(list, source: "recipients.txt")
        #expect(recipients.map(\.description) == keys.map(\.recipient))
    }

    @Test("age -a armored output decrypts transparently")
    func armoredFromAge() throws {
        let dir = try TemporaryDirectory("age-interop")
        let key = try AgeKey(in: dir, name: "key")
        let plaintext = AgeTesting.bytes(150_000, seed: 3)
        let encrypted = try Subprocess.run("age", ["-a", "-r", key.recipient], input: Data(plaintext))
        #expect(encrypted.output.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----\n"))
        for pieceSize in [Int.max, 4096, 63] {
            let outcome = AgeTesting.decrypt(Array(encrypted.stdout), with: [key.identity], pieceSize: pieceSize)
            #expect(outcome.error == nil)
            #expect(outcome.released == plaintext)
        }
    }

    @Test("an identity file from age-keygen and one of ours agree on the recipient")
    func identityFiles() throws {
        let dir = try TemporaryDirectory("age-interop")
        let key = try AgeKey(in: dir, name: "key")
        let parsed = try #require(key.identity as? X25519Identity)
        #expect(parsed.recipient.description == key.recipient)

        let ours = X25519Identity.generate()
        let path = dir.path + "/ours.txt"
        try ours.identityFile(created: Date()).write(toFile: path, atomically: false, encoding: .utf8)
        let derived = try Subprocess.run("age-keygen", ["-y", path])
        #expect(derived.output == "\(ours.recipient)\n")
    }

    @Test("age -p files decrypt with the passphrase, and age decrypts our passphrase files")
    func passphrase() throws {
        let dir = try TemporaryDirectory("age-interop")
        let plaintext = AgeTesting.bytes(70_000, seed: 9)
        let input = dir.path + "/plain.bin"
        try Data(plaintext).write(to: URL(fileURLWithPath: input))

        // age picks work factor 18 itself; decrypting it once is the price of this direction.
        let theirs = dir.path + "/theirs.age"
        let made = try AgeTesting.runWithPassphrase("correct horse", ["age", "-p", "-o", theirs, input])
        #expect(made.status == 0, "\(made)")
        let file = Array(try Data(contentsOf: URL(fileURLWithPath: theirs)))
        #expect(try Age.decrypt(file, with: [ScryptIdentity(passphrase: "correct horse")]) == plaintext)
        let wrong = AgeTesting.decrypt(file, with: [ScryptIdentity(passphrase: "incorrect horse")])
        #expect(wrong.ageError == .noIdentityMatched(recipientTypes: ["scrypt"]))
        #expect(wrong.released.isEmpty)

        let ours = dir.path + "/ours.age"
        let encrypted = try Age.encrypt(plaintext, to: [ScryptRecipient(passphrase: "battery staple", workFactor: 12)])
        try Data(encrypted).write(to: URL(fileURLWithPath: ours))
        let output = dir.path + "/out.bin"
        let opened = try AgeTesting.runWithPassphrase("battery staple", ["age", "-d", "-o", output, ours])
        #expect(opened.status == 0, "\(opened)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data(plaintext))
    }
}

/// Encrypts in uneven pieces, the way a pipeline hands data over.
enum AgeEncryptorHarness {
    static func encrypt(_ plaintext: [UInt8], to recipients: [any AgeRecipient]) throws -> [UInt8] {
        try AgeTesting.encrypt(plaintext, to: recipients, pieceSize: plaintext.count > 1 << 20 ? 1 << 20 : 40_000)
    }
}
