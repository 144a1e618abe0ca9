import Foundation
import S3
import Testing

@Suite struct SigV4SignerTests {
    @Test(arguments: AWSSigningTestCase.names)
    func headerSigningMatchesAWSSuite(name: String) throws {
        let testCase = try AWSSigningTestCase(name: name)
        let signed = testCase.signer.sign(testCase.request, at: testCase.date)

        #expect(signed.canonicalRequest == (try testCase.expected("header-canonical-request.txt")))
        #expect(signed.stringToSign == (try testCase.expected("header-string-to-sign.txt")))
        #expect(signed.signature == (try testCase.expected("header-signature.txt")))
        let authorization = try testCase.expected("header-signed-request.txt")
            .split(separator: "\n").first { $0.hasPrefix("Authorization:") }
        let ours = signed.headers.first { $0.name == "Authorization" }
        #expect(ours.map { "Authorization:\($0.value)" } == authorization.map(String.init))
    }

    @Test(arguments: AWSSigningTestCase.names)
    func querySigningMatchesAWSSuite(name: String) throws {
        let testCase = try AWSSigningTestCase(name: name)
        let signed = testCase.signer.presign(testCase.request, at: testCase.date, expires: testCase.expires)

        #expect(signed.canonicalRequest == (try testCase.expected("query-canonical-request.txt")))
        #expect(signed.stringToSign == (try testCase.expected("query-string-to-sign.txt")))
        #expect(signed.signature == (try testCase.expected("query-signature.txt")))
        // Every item we append appears, encoded, in the request line AWS's own signer produced.
        let requestLine = try #require(try testCase.expected("query-signed-request.txt").split(separator: "\n").first)
        for item in signed.queryItems {
            #expect(requestLine.contains(SigV4Signer.encodedQuery([item])), "\(item.name)")
        }
    }

    @Test func suiteIsPresentAndWhole() {
        // CI clones the repository next to `shared`; without it the parameterised tests above would have
        // nothing real to check, so its absence is a failure here, not a skip.
        #expect(AWSSigningTestCase.names.count >= 38, "AWS SigV4 suite at \(AWSSigningTestCase.suiteFolder.path)")
    }
}

/// S3's own worked examples (Amazon S3 API Reference, "Signature Calculations for the Authorization Header"
/// and "Query String Authentication"), signed with S3's defaults: no normalization, `X-Amz-Content-Sha256`.
@Suite struct SigV4SignerS3Tests {
    let signer = SigV4Signer(
        credentials: SigV4Credentials(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "s3")
    let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    @Test func getObjectWithRange() {
        let request = SigV4Request(
            method: "GET", path: "/test.txt",
            headers: [.init("Host", "examplebucket.s3.amazonaws.com"), .init("Range", "bytes=0-9")],
            payload: SigV4Signer.payloadHash([]))
        let signed = signer.sign(request, at: date)
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(
            signed.headers.map(\.name) == ["X-Amz-Date", "X-Amz-Content-Sha256", "Authorization"])
    }

    @Test func presignedGet() {
        let request = SigV4Request(
            method: "GET", path: "/test.txt", headers: [.init("Host", "examplebucket.s3.amazonaws.com")],
            payload: .unsigned)
        let signed = signer.presign(request, at: date, expires: 86400)
        #expect(signed.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test func objectKeysAreEncodedOnceAndNeverNormalized() {
        let request = SigV4Request(
            method: "PUT", path: "/bucket/db01//a b/../ü+x", headers: [.init("Host", "h")], payload: .unsigned)
        let canonicalPath = signer.sign(request, at: date).canonicalRequest.split(separator: "\n")[1]
        #expect(canonicalPath == "/bucket/db01//a%20b/../%C3%BC%2Bx")
        #expect(SigV4Signer.encodedPath(request.path) == canonicalPath[...].description)
    }

    @Test(arguments: [
        (0.0, "19700101T000000Z"), (951_782_400, "20000229T000000Z"), (1_700_000_000.9, "20231114T221320Z"),
        (4_102_444_799, "20991231T235959Z"), (4_107_542_400, "21000301T000000Z"),
    ])
    func timestampsAreUTC(seconds: Double, expected: String) {
        let request = SigV4Request(method: "GET", path: "/", headers: [.init("Host", "h")], payload: .unsigned)
        let signed = signer.sign(request, at: Date(timeIntervalSince1970: seconds))
        #expect(signed.headers.first?.value == expected)
    }
}
