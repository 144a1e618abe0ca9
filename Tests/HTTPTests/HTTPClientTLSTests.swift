import Foundation
import TestTools
import Testing

@testable import HTTP

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

        let trusting = try HTTPClient(configuration: .init(extraCAFile: cert))
        let response = try trusting.send(HTTPRequest(method: "PUT", url: server.url("/echo"), body: .bytes([7])))
        #expect(response.status == 200)
        #expect(try EchoedRequest(response.body).bodyLength == 1)
    }

    @Test func theSystemStoreIsTheHashedFolderWithoutCurlsBundle() throws {
        // The client trusts what the hashed folder holds even though curl's default bundle file is switched
        // off: a folder with only the test's certificate stands in for /etc/ssl/certs.
        let folder = try TemporaryDirectory()
        let (cert, key) = try selfSignedCertificate(in: folder)
        let store = folder.appending("store").path
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: cert, toPath: store + "/test-ca.pem")
        let rehash = try Subprocess.run("openssl", ["rehash", store])
        try #require(rehash.status == 0, "\(rehash)")
        let server = try TestHTTPServer(cert: cert, key: key)

        let client = try HTTPClient(configuration: .init(), trustStoreFolder: store)
        #expect(try client.send(HTTPRequest(method: "GET", url: server.url("/status/204"))).status == 204)
    }

    @Test func aTLSConnectionClosedMidUploadIsReportedNotASignal() throws {
        // OpenSSL writes through curl's own socket calls; a SIGPIPE here would end the daemon.
        let folder = try TemporaryDirectory()
        let (cert, key) = try selfSignedCertificate(in: folder)
        let server = try TestHTTPServer(cert: cert, key: key)
        let previous = signal(SIGPIPE, SIG_DFL)
        defer { signal(SIGPIPE, previous) }
        let error = try #require(throws: HTTPError.self) {
            try HTTPClient(configuration: .init(extraCAFile: cert)).send(
                HTTPRequest(
                    method: "PUT", url: server.url("/close"),
                    body: .stream(length: 64 * 1024 * 1024) { buffer in
                        buffer.initializeMemory(as: UInt8.self, repeating: 0x5a)
                        return buffer.count
                    }))
        }
        #expect(error.code == .connectionDropped, "\(error)")
    }
}
