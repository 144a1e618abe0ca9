import Foundation
import Testing

@testable import Age

/// The encodings under the format: Bech32, strict base64, the header, RFC 3339 times.
@Suite struct FormatTests {
    @Test(
        "BIP 173 valid strings decode",
        arguments: ["A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"])
    func bech32Valid(_ text: String) throws {
        let decoded = try Bech32.decode(text)
        #expect(Bech32.encode(hrp: decoded.hrp, data: decoded.data, uppercase: text.uppercased() == text) == text)
    }

    @Test(
        "BIP 173 invalid strings are rejected",
        arguments: [
            ("a12UEL5L", Bech32.DecodingError.mixedCase), ("pzry9x0s0muk", .noSeparator), ("1pzry9x0s0muk", .emptyHRP),
            ("x1b4n0q5v", .invalidCharacter), ("li1dgmt3", .badChecksum), ("A1G7SGD8", .badChecksum),
            ("a12uel5m", .badChecksum), ("a1\u{7F}uel5l", .invalidCharacter),
        ])
    func bech32Invalid(_ text: String, _ expected: Bech32.DecodingError) {
        #expect(throws: expected) { try Bech32.decode(text) }
    }

    @Test func bech32HasNoLengthLimit() throws {
        let data = AgeTesting.bytes(1216)
        let text = Bech32.encode(hrp: "age1pq", data: data)
        #expect(text.count > 1900)
        #expect(try Bech32.decode(text).data == data)
    }

    @Test("the spec's X25519 example key pair")
    func specX25519Example() throws {
        let identity = try X25519Identity(
            parsing: "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX")
        #expect(identity.recipient.description == "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj")
        #expect(identity.encoded == "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX")
        let recipient = try X25519Recipient(parsing: "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj")
        #expect(recipient == identity.recipient)
        #expect(try X25519Recipient(parsing: recipient.description.uppercased()) == recipient)
    }

    @Test("recipients that are not X25519 keys are refused with a reason")
    func invalidRecipients() {
        for text in [
            "", "age1", "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwx",
            "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        ] {
            #expect(throws: AgeError.self) { try X25519Recipient(parsing: text) }
        }
        #expect(throws: AgeError.self) {
            try X25519Identity(parsing: "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj")
        }
    }

    @Test func identityParsingErrorsNeverQuoteTheKey() {
        let broken = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEY"
        do {
            _ = try X25519Identity(parsing: broken)
            Issue.record("a bad checksum was accepted")
        } catch {
            #expect(!error.description.contains("GFPYYSJZ"))
        }
    }

    @Test("a header with more stanzas than any real file is refused before any is tried")
    func tooManyStanzas() throws {
        let fileKey = try AgeFileKey(bytes: AgeTesting.bytes(16))
        let stanza = AgeStanza(
            type: "X25519", arguments: [Base64.encode(AgeTesting.bytes(32))], body: AgeTesting.bytes(32))
        let most = AgeHeader.encode(
            stanzas: Array(repeating: stanza, count: AgeHeader.maximumStanzas), fileKey: fileKey)
        #expect(try AgeHeader.parse(most[...]).stanzas.count == AgeHeader.maximumStanzas)
        let tooMany = AgeHeader.encode(
            stanzas: Array(repeating: stanza, count: AgeHeader.maximumStanzas + 1), fileKey: fileKey)
        #expect(
            throws: AgeError.malformedHeader(
                "it has more than 1000 recipient stanzas, more than any backup is encrypted to")
        ) { try AgeHeader.parse(tooMany[...]) }
        // Through the decryptor too, whose identity would otherwise try every stanza.
        let outcome = AgeTesting.decrypt(tooMany + AgeTesting.bytes(100), with: [X25519Identity.generate()])
        guard case .malformedHeader(let detail) = outcome.ageError else {
            Issue.record("expected a malformed header, got \(String(describing: outcome.error))")
            return
        }
        #expect(detail.contains("more than 1000 recipient stanzas"))
        // Nor is a file written that readers would refuse.
        let recipients = (0...AgeEncryptor.maximumRecipients).map { _ in X25519Identity.generate().recipient }
        #expect(throws: AgeError.self) { try AgeEncryptor(recipients: recipients) }
        #expect(throws: Never.self) { try AgeEncryptor(recipients: Array(recipients.dropLast())) }
    }

    @Test func base64IsStrict() {
        #expect(Base64.decodeUnpadded("AAAA") == [0, 0, 0])
        #expect(Base64.decodeUnpadded("AA") == [0])
        #expect(Base64.decodeUnpadded("AB") == nil, "non-zero trailing bits are not canonical")
        #expect(Base64.decodeUnpadded("AA==") == nil, "padding is not allowed in the header")
        #expect(Base64.decodeUnpadded("A") == nil)
        #expect(Base64.decodeUnpadded("AA\n") == nil)
        var out: [UInt8] = []
        #expect(Base64.decode(Array("AA==".utf8), padded: true, into: &out) && out == [0])
        #expect(!Base64.decode(Array("AA".utf8), padded: true, into: &out))
        #expect(!Base64.decode(Array("AB==".utf8), padded: true, into: &out))
        #expect(!Base64.decode(Array("A===".utf8), padded: true, into: &out))
        for count in 0..<70 {
            let bytes = AgeTesting.bytes(count, seed: UInt64(count))
            #expect(Base64.decodeUnpadded(Base64.encode(bytes)) == bytes)
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString().replacingOccurrences(of: "=", with: ""))
            #expect(Base64.encode(bytes, padded: true) == Data(bytes).base64EncodedString())
        }
    }

    @Test("stanza bodies wrap at 64 columns and always end with a short line", arguments: [0, 1, 47, 48, 49, 96, 100])
    func stanzaEncoding(bodySize: Int) throws {
        let stanza = AgeStanza(type: "test", arguments: ["a", "b"], body: AgeTesting.bytes(bodySize))
        let text = String(decoding: stanza.encoded, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.first == "-> test a b")
        #expect(lines.dropFirst().dropLast().allSatisfy { $0.count == 64 })
        #expect(lines.last!.count < 64)
        let fileKey = try AgeFileKey(bytes: AgeTesting.bytes(16))
        let header = AgeHeader.encode(stanzas: [stanza], fileKey: fileKey)
        let parsed = try AgeHeader.parse(header[...])
        #expect(parsed.stanzas == [stanza])
        #expect(parsed.verifyMAC(fileKey: fileKey))
    }

    @Test func headerOfAnEncryptedFile() throws {
        let identity = X25519Identity.generate()
        let file = try Age.encrypt([1, 2, 3], to: [identity.recipient, X25519Identity.generate().recipient])
        let text = String(decoding: file.prefix(try AgeTesting.layout(of: file).headerLength), as: UTF8.self)
        #expect(
            text.wholeMatch(
                of:
                    /age-encryption.org\/v1\n(-> X25519 [A-Za-z0-9+\/]{43}\n[A-Za-z0-9+\/]{43}\n){2}--- [A-Za-z0-9+\/]{43}\n/
            ) != nil, "\(text)")
    }

    @Test(
        "RFC 3339 like Go's time.RFC3339",
        arguments: [
            (1_136_239_445.0, 0, "2006-01-02T22:04:05Z"),
            (1_136_239_445.9, -7 * 3600, "2006-01-02T15:04:05-07:00"),
            (1_136_239_445.0, 5 * 3600 + 1800, "2006-01-03T03:34:05+05:30"),
            (-1.0, 0, "1969-12-31T23:59:59Z"),
            (951_782_400.0, 0, "2000-02-29T00:00:00Z"),
            (4_102_444_799.0, 3600, "2100-01-01T00:59:59+01:00"),
        ])
    func rfc3339(seconds: Double, offset: Int, expected: String) throws {
        let zone = try #require(TimeZone(secondsFromGMT: offset))
        #expect(RFC3339.format(Date(timeIntervalSince1970: seconds), timeZone: zone) == expected)
    }

    @Test func identityFileIsAgeKeygensFormat() throws {
        let identity = try X25519Identity(
            parsing: "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX")
        let text = identity.identityFile(
            created: Date(timeIntervalSince1970: 1_136_239_445), timeZone: TimeZone(secondsFromGMT: 0)!)
        #expect(
            text == """
                # created: 2006-01-02T22:04:05Z
                # public key: age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj
                AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX

                """)
    }
}
