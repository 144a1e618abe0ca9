import Foundation
import S3
import Testing

/// One folder of AWS's SigV4 test suite (`../shared/testdata/aws-sigv4/<name>/`), read into our types.
struct AWSSigningTestCase {
    /// Where the suite lives: beside the repository, as CI clones it next to a `shared` folder.
    static let suiteFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/testdata/aws-sigv4")

    /// Every case's folder name; a missing suite yields one name that fails, so the tests cannot pass empty.
    static var names: [String] {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: suiteFolder.path)) ?? []
        let names = folders.filter {
            FileManager.default.fileExists(atPath: suiteFolder.appendingPathComponent("\($0)/request.txt").path)
        }.sorted()
        return names.isEmpty ? ["(no AWS SigV4 test suite at \(suiteFolder.standardizedFileURL.path))"] : names
    }

    let folder: URL
    let signer: SigV4Signer
    let request: SigV4Request
    let date: Date
    let expires: Int

    init(name: String) throws {
        folder = Self.suiteFolder.appendingPathComponent(name)
        let context =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: folder.appendingPathComponent("context.json"))) as! [String: Any]
        let credentials = context["credentials"] as! [String: String]
        let normalize = context["normalize"] as! Bool
        let signBody = context["sign_body"] as! Bool
        signer = SigV4Signer(
            credentials: SigV4Credentials(
                accessKeyID: credentials["access_key_id"]!, secretAccessKey: credentials["secret_access_key"]!,
                sessionToken: credentials["token"]),
            region: context["region"] as! String, service: context["service"] as! String,
            normalizesPath: normalize, sendsContentSHA256: signBody,
            signsSessionToken: !(context["omit_session_token"] as? Bool ?? false))
        date = try Date(context["timestamp"] as! String, strategy: .iso8601)
        expires = context["expiration_in_seconds"] as! Int
        request = try Self.parseRequest(Data(contentsOf: folder.appendingPathComponent("request.txt")))
    }

    /// The expected text in `file`, byte for byte.
    func expected(_ file: String) throws -> String {
        try String(decoding: Data(contentsOf: folder.appendingPathComponent(file)), as: UTF8.self)
    }

    /// Parses an HTTP/1.1 request as the suite writes it: folded header lines (continuations start with
    /// whitespace), repeated names, a raw (unencoded) path that may contain spaces, an optional body.
    static func parseRequest(_ data: Data) throws -> SigV4Request {
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let requestLine = lines.removeFirst()
        let space = try #require(requestLine.firstIndex(of: " "))
        let method = String(requestLine[..<space])
        var target = String(requestLine[requestLine.index(after: space)...])
        if target.hasSuffix(" HTTP/1.1") { target.removeLast(" HTTP/1.1".count) }

        var headers: [SigV4Request.Header] = []
        while let line = lines.first, !line.isEmpty {
            lines.removeFirst()
            if line.first == " " || line.first == "\t" {
                // An obs-fold: RFC 9112 section 5.2 lets a recipient replace it with a space.
                headers[headers.count - 1].value += " " + line
            } else {
                let colon = try #require(line.firstIndex(of: ":"))
                headers.append(.init(String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        let body = lines.isEmpty ? "" : lines.dropFirst().joined(separator: "\n")

        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = try decode(String(parts[0]))
        var query: [SigV4Request.QueryItem] = []
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let nameValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append(
                    .init(
                        try decode(String(nameValue[0])), try decode(nameValue.count == 2 ? String(nameValue[1]) : "")))
            }
        }
        return SigV4Request(
            method: method, path: path, queryItems: query, headers: headers,
            payload: SigV4Signer.payloadHash(Array(body.utf8)))
    }

    private static func decode(_ text: String) throws -> String {
        try #require(text.removingPercentEncoding, "bad percent-encoding in \(text)")
    }
}
