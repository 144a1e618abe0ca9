import Foundation
import TestTools
import Testing

/// What the `litesafe` binary maps at start: the daemon's resident memory is mostly that.
@Suite("litesafe's shared libraries")
struct BinaryLinkTests {
    // libpq and libcurl each need ~30 libraries (OpenSSL, Kerberos, LDAP, GnuTLS, …), about
    // 6 MiB resident: opened with dlopen by the export and the HTTP client, never at start.
    @Test("the binary does not list libpq or libcurl as a needed library")
    func noClientLibrariesAtStart() throws {
        let dynamic = try Subprocess.run("readelf", ["--dynamic", Subprocess.litesafe])
        try #require(dynamic.status == 0, "\(dynamic)")
        #expect(dynamic.output.contains("libsqlite3"))
        #expect(!dynamic.output.contains("libpq"), "\(dynamic.output)")
        #expect(!dynamic.output.contains("libcurl"), "\(dynamic.output)")
    }
}
