import Foundation
import TestTools

@testable import Age

/// One C2SP CCTV age test vector: a textual header, an empty line, then the age file.
struct CCTVVector: CustomStringConvertible {
    /// What the vector expects decryption to do.
    enum Expectation: String {
        case success
        case noMatch = "no match"
        case hmacFailure = "HMAC failure"
        case headerFailure = "header failure"
        case payloadFailure = "payload failure"
        case armorFailure = "armor failure"
    }

    let name: String
    let expect: Expectation
    /// Hex SHA-256 of all plaintext released; absent when nothing may be released.
    let payloadHash: String?
    let fileKey: [UInt8]?
    let identities: [String]
    let passphrases: [String]
    let armored: Bool
    let comment: String?
    /// The age file, decompressed if the vector was zlib-compressed.
    let file: [UInt8]

    var description: String { name }

    /// The folder holding the vectors.
    static var folder: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("cctv")
    }

    /// Every vector file name, sorted.
    static var allNames: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasSuffix(".md") }.sorted()
    }

    /// Keys this harness understands; the upstream README says to ignore vectors with others.
    static let knownKeys: Set<String> = [
        "expect", "payload", "file key", "identity", "passphrase", "armored", "compressed", "comment",
    ]

    /// Why a vector cannot run, or nil. Kept in one place so the skip list is printed whole.
    static func skipReason(_ name: String) -> String? {
        guard let raw = try? Data(contentsOf: folder.appendingPathComponent(name)) else { return "unreadable" }
        let (fields, _) = split(Array(raw))
        if let unknown = fields.map(\.key).first(where: { !knownKeys.contains($0) }) {
            return "unknown header key \"\(unknown)\" (upstream README: ignore such vectors)"
        }
        if let compression = fields.first(where: { $0.key == "compressed" })?.value, compression != "zlib" {
            return "unsupported compression \(compression)"
        }
        return nil
    }

    init(name: String) throws {
        self.name = name
        let raw = Array(try Data(contentsOf: Self.folder.appendingPathComponent(name)))
        let (fields, body) = Self.split(raw)
        func values(_ key: String) -> [String] { fields.filter { $0.key == key }.map(\.value) }
        guard let expectText = values("expect").first, let expect = Expectation(rawValue: expectText) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: name])
        }
        self.expect = expect
        payloadHash = values("payload").first
        fileKey = values("file key").first.map(Self.hexBytes)
        identities = values("identity")
        passphrases = values("passphrase")
        armored = values("armored").first == "yes"
        comment = values("comment").first
        if values("compressed").first == "zlib" {
            file = try Self.inflate(body)
        } else {
            file = body
        }
    }

    /// The identities the vector lists, in order, parsed by the production parsers.
    func makeIdentities() throws -> [any AgeIdentity] {
        var result: [any AgeIdentity] = []
        for identity in identities { result += try AgeKeys.parseIdentities(identity, source: name) }
        // Work factors in the vectors are low; the default maximum must still reject 23.
        for passphrase in passphrases { result.append(ScryptIdentity(passphrase: passphrase)) }
        return result
    }

    private static func split(_ raw: [UInt8]) -> ([(key: String, value: String)], [UInt8]) {
        var fields: [(key: String, value: String)] = []
        var index = 0
        while index < raw.count {
            let end = raw[index...].firstIndex(of: 0x0A) ?? raw.count
            let line = String(decoding: raw[index..<end], as: UTF8.self)
            index = end + 1
            if line.isEmpty { break }
            if let colon = line.firstIndex(of: ":") {
                let key = String(line[..<colon])
                let value = line[line.index(after: colon)...].drop(while: { $0 == " " })
                fields.append((key, String(value)))
            }
        }
        return (fields, Array(raw[min(index, raw.count)...]))
    }

    private static func hexBytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = text.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            bytes.append(UInt8(String([high, low]), radix: 16)!)
        }
        return bytes
    }

    /// zlib-decompresses with Python's standard library (the test environment has python3;
    /// Foundation on Linux has no zlib API and the test target links no zlib).
    private static func inflate(_ bytes: [UInt8]) throws -> [UInt8] {
        let script = "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))"
        let result = try Subprocess.run("python3", ["-c", script], input: Data(bytes))
        guard result.status == 0 else { throw CocoaError(.fileReadCorruptFile) }
        return Array(result.stdout)
    }
}
