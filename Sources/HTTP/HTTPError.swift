/// A request that got no complete HTTP response, with what curl said about it.
///
/// An HTTP status (403, 500) is not an error here: it is a response. `code` is what callers and operators
/// decide on; `detail` keeps curl's own text. The URL in `request` has its userinfo and signature removed.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The host name did not resolve.
        case dnsFailure = "dns-failure"
        /// No connection: refused, unreachable or no route (``HTTPError/detail`` says which).
        case cannotConnect = "cannot-connect"
        /// The TLS handshake or the certificate check failed.
        case tlsFailure = "tls-failure"
        /// The request's deadline or the connect timeout passed.
        case timeout
        /// The connection broke or closed before the whole response (or request body) went through.
        case connectionDropped = "connection-dropped"
        /// The response body was longer than the limit the caller gave.
        case tooLarge = "too-large"
        /// The request's body reader or the response's receiver threw (``HTTPError/underlying`` holds it),
        /// or the reader ended before the length it announced.
        case bodyFailed = "body-failed"
        /// The request could not be made as given (bad URL, unsupported scheme).
        case invalidRequest = "invalid-request"
        /// libcurl could not be loaded (the Debian package libcurl4 is missing) or set up.
        case libcurlUnavailable = "libcurl-unavailable"
        /// The request's ``HTTPCancellation`` was cancelled while it was under way.
        case cancelled
        /// Anything else curl reports.
        case transferFailed = "transfer-failed"
    }

    public let code: Code
    /// The method and the redacted URL, e.g. `PUT https://host/bucket/key`.
    public let request: String
    /// curl's explanation (its error buffer, else its text for the result code).
    public let detail: String
    public let underlying: (any Error)?

    public var description: String {
        "\(request): \(code.rawValue): \(detail)" + (underlying.map { " (\($0))" } ?? "")
    }

    /// `url` fit to print: userinfo dropped, values of signing query items (`X-Amz-*`, `Signature`, `Token`,
    /// `AWSAccessKeyId`) replaced, since a presigned URL is a credential.
    public static func redacted(_ url: String) -> String {
        var rest = Substring(url)
        var out = ""
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            let afterScheme = rest.index(colon, offsetBy: 3)
            out += rest[..<afterScheme]
            rest = rest[afterScheme...]
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            out += "<redacted>@"
            rest = rest[rest.index(after: at)...]
        }
        guard let question = rest.firstIndex(of: "?") else { return out + rest }
        out += rest[...question]
        let query = rest[rest.index(after: question)...]
        let items = query.split(separator: "&", omittingEmptySubsequences: false).map { item -> String in
            let name = item.split(separator: "=", maxSplits: 1).first.map { $0.lowercased() } ?? ""
            let secret =
                name.hasPrefix("x-amz-") || name == "signature" || name.contains("token")
                || name == "awsaccesskeyid"
            return secret && item.contains("=")
                ? "\(item.split(separator: "=", maxSplits: 1)[0])=<redacted>" : String(item)
        }
        return out + items.joined(separator: "&")
    }
}
