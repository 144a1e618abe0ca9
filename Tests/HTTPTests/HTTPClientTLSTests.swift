import Foundation
import HTTP
import TestSupport
import Testing

@Suite struct HTTPClientTLSTests {
    /// A self-signed certificate for 127.0.0.1, made by `openssl` for this test only.
    func selfSignedCertificate(in folder: TemporaryDirectory) throws -> (cert: String, key: String) {
        let cert = folder.appending("cert.pem").path
        let key = folder.appending("key.pem").path
        let result = try Subprocess.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=litesafe test", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert,
            ])
        try #require(result.status == 0, "\(result)")
        return (cert, key)
    }

    @Test func aSelfSignedServerIsRefusedUnlessItsCAIsGiven() throws {
        let folder = try TemporaryDirectory()
        let (cert, key) = try selfSignedCertificate(in: folder)
        let server = try TestHTTPServer(cert: cert, key: key)

        let error = try #require(throws: HTTPError.self) {
            try HTTPClient().send(HTTPRequest(method: "GET", url: server.url("/status/200")))
        }
        #expect(error.code == .tlsFailure)
        #expect(error.detail.contains("certificate"), "\(error.detail)")

        let trusting = HTTPClient(configuration: .init(extraCAFile: cert))
        let response = try trusting.send(HTTPRequest(method: "PUT", url: server.url("/echo"), body: .bytes([7])))
        #expect(response.status == 200)
        #expect(try EchoedRequest(response.body).bodyLength == 1)
    }
}
