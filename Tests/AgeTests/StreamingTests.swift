import Foundation
import Testing

@testable import Age

/// Streaming behaviour: chunk hold-back, piece-size independence, bounded buffering.
@Suite struct StreamingTests {
    let identity = X25519Identity.generate()

    @Test(
        "round trips for any split of input (batches of chunks sealed in parallel included)",
        arguments: [0, 1, 65535, 65536, 65537, 2 * 65536, 200_000, 37 * 65536 + 3],
        [1, 13, 65536, 65537, 3 * 65536 + 1, Int.max])
    func roundTrip(size: Int, pieceSize: Int) throws {
        // One-byte pieces are only worth their time on small inputs.
        guard pieceSize > 1 || size <= 65537 else { return }
        let plaintext = AgeTesting.bytes(size, seed: UInt64(size))
        let file = try AgeTesting.encrypt(plaintext, to: [identity.recipient], pieceSize: pieceSize)
        let outcome = AgeTesting.decrypt(file, with: [identity], pieceSize: pieceSize)
        #expect(outcome.error == nil)
        #expect(outcome.released == plaintext)
    }

    @Test func encryptorHoldsBackAFullChunkUntilMoreDataArrives() throws {
        let encryptor = try AgeEncryptor(recipients: [identity.recipient])
        var out: [UInt8] = []
        try AgeTesting.bytes(65536).withUnsafeBytes { try encryptor.update($0) { out += $0 } }
        let headerAndNonce = try AgeTesting.layout(of: out).payloadStart
        #expect(out.count == headerAndNonce, "a full chunk may still be the last one")
        try [UInt8(7)].withUnsafeBytes { try encryptor.update($0) { out += $0 } }
        #expect(out.count == headerAndNonce + STREAM.sealedChunkSize)
        try encryptor.finish { out += $0 }
        #expect(out.count == headerAndNonce + STREAM.sealedChunkSize + 1 + STREAM.tagSize)
    }

    @Test func headerIsEmittedEvenForEmptyInput() throws {
        let encryptor = try AgeEncryptor(recipients: [identity.recipient])
        var out: [UInt8] = []
        try encryptor.finish { out += $0 }
        #expect(out.count == (try AgeTesting.layout(of: out)).payloadStart + STREAM.tagSize)
        #expect(try Age.decrypt(out, with: [identity]).isEmpty)
    }

    @Test func decryptorReleasesAChunkOnlyOnceItKnowsWhatFollows() throws {
        let plaintext = AgeTesting.bytes(2 * 65536 + 10)
        let file = try Age.encrypt(plaintext, to: [identity.recipient])
        let layout = try AgeTesting.layout(of: file)
        let decryptor = AgeDecryptor(identities: [identity])
        var released: [UInt8] = []
        let firstChunkEnd = layout.chunkStart(1)
        try file[..<firstChunkEnd].withUnsafeBytes { try decryptor.update($0) { released += $0 } }
        #expect(released.isEmpty, "the first chunk could still be a full-size final chunk")
        try file[firstChunkEnd..<(firstChunkEnd + 1)].withUnsafeBytes { try decryptor.update($0) { released += $0 } }
        #expect(released == Array(plaintext[..<65536]))
        try file[(firstChunkEnd + 1)...].withUnsafeBytes { try decryptor.update($0) { released += $0 } }
        #expect(released.count == 2 * 65536)
        try decryptor.finish { released += $0 }
        #expect(released == plaintext)
    }

    @Test func failureIsSticky() throws {
        let file = try Age.encrypt(AgeTesting.bytes(100), to: [identity.recipient])
        let decryptor = AgeDecryptor(identities: [X25519Identity.generate()])
        #expect(throws: AgeError.noIdentityMatched(recipientTypes: ["X25519"])) {
            try file.withUnsafeBytes { try decryptor.update($0) { _ in } }
        }
        #expect(throws: AgeError.noIdentityMatched(recipientTypes: ["X25519"])) { try decryptor.finish { _ in } }
    }

    @Test func sinkErrorsPropagate() throws {
        struct Full: Error {}
        let encryptor = try AgeEncryptor(recipients: [identity.recipient])
        #expect(throws: Full.self) {
            try [UInt8(1), 2, 3].withUnsafeBytes { try encryptor.update($0) { _ in throw Full() } }
        }
    }

    @Test func recipientRules() throws {
        #expect(throws: AgeError.noRecipients) { try AgeEncryptor(recipients: []) }
        let scrypt = ScryptRecipient(passphrase: "p", workFactor: 1)
        #expect(throws: AgeError.scryptMustBeAlone) { try AgeEncryptor(recipients: [scrypt, identity.recipient]) }
        #expect(throws: AgeError.scryptMustBeAlone) { try AgeEncryptor(recipients: [scrypt, scrypt]) }
    }

    @Test func armorDetection() throws {
        let plaintext = AgeTesting.bytes(5000)
        let file = try Age.encrypt(plaintext, to: [identity.recipient])
        let body = Data(file).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        let armored = Array(
            "\n  -----BEGIN AGE ENCRYPTED FILE-----\n\(body)\n-----END AGE ENCRYPTED FILE-----\n\n".utf8)
        #expect(AgeTesting.decrypt(armored, with: [identity]).released == plaintext)
        #expect(AgeTesting.decrypt(armored, with: [identity], pieceSize: 1).released == plaintext)
        guard case .malformedHeader = AgeTesting.decrypt(armored, with: [identity], armor: .binary).ageError else {
            Issue.record("binary mode accepted armor")
            return
        }
        guard case .armor = AgeTesting.decrypt(file, with: [identity], armor: .armored).ageError else {
            Issue.record("armored mode accepted a binary file")
            return
        }
    }
}

/// The passphrase and post-quantum recipient types.
@Suite struct RecipientTypeTests {
    @Test func scryptRoundTrip() throws {
        let plaintext = AgeTesting.bytes(1000)
        let file = try Age.encrypt(plaintext, to: [ScryptRecipient(passphrase: "pass phrase", workFactor: 10)])
        #expect(String(decoding: file.prefix(80), as: UTF8.self).contains("-> scrypt "))
        #expect(try Age.decrypt(file, with: [ScryptIdentity(passphrase: "pass phrase")]) == plaintext)
        #expect(throws: AgeError.noIdentityMatched(recipientTypes: ["scrypt"])) {
            try Age.decrypt(file, with: [ScryptIdentity(passphrase: "wrong")])
        }
        #expect(throws: AgeError.scryptWorkFactorTooHigh(10, max: 9)) {
            try Age.decrypt(file, with: [ScryptIdentity(passphrase: "pass phrase", maxWorkFactor: 9)])
        }
        // An X25519 identity alongside is fine: it just does not match.
        #expect(
            try Age.decrypt(file, with: [X25519Identity.generate(), ScryptIdentity(passphrase: "pass phrase")])
                == plaintext)
    }

    @Test(arguments: ["1", "22", "9"])
    func workFactorSyntaxAccepted(_ text: String) throws {
        #expect(try ScryptIdentity.parseWorkFactor(text) == Int(text))
    }

    @Test(arguments: ["0", "01", "+1", "-1", "0x10", "1 ", "", "１", "99999999999999999999"])
    func workFactorSyntaxRejected(_ text: String) {
        #expect(throws: AgeError.self) { try ScryptIdentity.parseWorkFactor(text) }
    }

    @Test func postQuantumRoundTrip() throws {
        let identity = try MLKEM768X25519Identity.generate()
        let plaintext = AgeTesting.bytes(70_000)
        let file = try Age.encrypt(plaintext, to: [identity.recipient])
        #expect(String(decoding: file.prefix(60), as: UTF8.self).contains("-> mlkem768x25519 "))
        #expect(try Age.decrypt(file, with: [X25519Identity.generate(), identity]) == plaintext)
        let parsed = try MLKEM768X25519Identity(parsing: identity.encoded)
        #expect(try Age.decrypt(file, with: [parsed]) == plaintext)
        #expect(throws: AgeError.noIdentityMatched(recipientTypes: ["mlkem768x25519"])) {
            try Age.decrypt(file, with: [try MLKEM768X25519Identity.generate()])
        }
    }

    @Test("the spec's post-quantum example key pair")
    func specPostQuantumExample() throws {
        let identity = try MLKEM768X25519Identity(
            parsing: "AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR")
        #expect(
            identity.recipient.description.hasPrefix(
                "age1pq1x34nzsvr0rxjsgdn8zgyhfe8j7ceq5r9rdelkjuh3y235jzxshfg87pzf5zrqtzdxz95paef6caq5aapdmwjjqpjfdyxnzr2zampc3uxy0dg4z2n2gm9su72p0pc3u0jvev55l694v78snxg3yzvcl7yda0eyytqj6a0ec477lnhcy5hzpz4zq3pxanve4cn62gqj3pjy5lqj9c6kyj4v2z8alktn8zh99970x79gjkv7522hv9kfz35zsnxhsx8wwtmu9cy3ftzjgwcp4sshn3llnylnpdsyz5jm72vefv4x5vfwytrefxg4wq3mv42wcrvkj742479zrxzpvp2p3e9fed9f0739vcu80r7ma28qfhnvlv4gfzel9q654dj3zmuvvz893azhxdvs9fxd0r7jzchzcfcs5mkyyjxhw0n2z6dvp9yn9qfdp29h0azxqyjw6v7fhyuzj7zel0uq6j9rd7wgrpz7mf5dnj43jwsgvrc8qcnhy7tu6dkdujuxzkp9xj43xe8h92ktre2a3u3s8mm5mrp9nr9pwkgtz4mdlq9hgn4fps4k57ff6wddn2fy23t47sm20r8km8sd2pcyyafnet8f0dajsrlyjeah4n3mssr6aseevuuskdvq5lzguyvpgwpta742c6698vgutzqgny8usfg0w2he7kq5vyxjd0f9hqg8xk26y9e4th0gezq92q4cpp5p2y9hf5f2cje5l0c3sa3a2qxmm38pxxvhxh99yzmfz0zk7r2s64nnwjhkfgfr3gf8xnmppcgmaykvh5sh6g7vk9790rf8ws0axmr2t7z8aae5fq2029uvcn2ghgt4fu4wgwdc0k0cz52qkvwmuzj8p8k5jgf3xzk5zmrkavjekjrpeq408xz3zxazwkc6tyfmhayrkfpjhwtz5mp8j8guqe43k2q6m2kte03vrw27y3wmqyu5etmt9dnkwcnnpmu9gz9dekfhdevf42ucshphnrk38ra6hx8w5f8q5ru0xdhrjxmwqf6cused7zc5xvq43r0zscjglpwlptpwydhqw64xz7ptjdyeyzpq2zkxtmzg29gzjpvzva4d3l0cenn9xs297wf4y4ukwrunf57xj6pm7nvrkwvtrt8hwcmgv8x7ajw7258ugf9wvkmk4052ekg87tw5vnx8nq2swyzv77v8yqlwsenvamr0zssknwts8rrhfuwj7ykysnq9jxy0uv3kuyt22djszjdtvpz6d0s0kwh8ryynddzud92emeyvvyqktd0jtj7rvvg5gch25v8smlvny3kvn5gagyz475ze2y6q466xqmz2n3hs77lddeqyta2nch5k2u5yacuk9ywnwfdzvyejnucz724hj77hrrmakm7pr3kxsrxq22ejexlud9fy2kdqmkg5yncz7jm5wv2qjk5w5kvcpqsry2yqffh2la52dxfjkjq5rzhjzeyn6dupn0qwtyv7s4lwg3xdarsdlwe2y3tujy480y7z39q259fzx6jhd2j0f5hagqpcpees7hzc2yrk5cy788uk3s7qvp5cpepx24gvws3m2g433exgwppnkjscec8qu4y9z9r7vccexjcjaen42245lmgmxmuavg9alej92322gvvyy2t6267v09ch64y0m53jff0vjj96s0ypk60hr3jw4myd6m5hpn3xjstx7tl2szhpr5qe8jj08ydjc4wy2rch2fhuy3pdfjax5awe9j99ly5hkntzz9fe5zatgjvzdd0kgtxs25njnajyf6ssekp7gelxquusn4pt25czh3scj68kq79wdn5tgm6yvm9nzavrg043x3msnygf8dweknw5jmqd0uvny6ttsn09508k0c55zfnegrm9efhxpfqdkmhh6gjtqmwze9pyyzk3tlhl53k2ykx3qheyty7saeq0d3fzv49zc0k"
            ))
        #expect(identity.encoded == "AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR")
    }
}
