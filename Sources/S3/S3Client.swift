import Crypto
// Foundation (not FoundationEssentials): NSLock, and the C library's nanosleep.
import Foundation
import HTTP

/// Requests to one bucket of an S3-compatible service, signed with SigV4, retried when S3 or the
/// network says trying again may help.
///
/// Blocking: call it from worker threads. It keeps a few idle HTTP clients (one curl handle each,
/// so connections are reused) and hands one to each request, so threads may share it.
public final class S3Client: @unchecked Sendable {
    // @unchecked: `idle` is only touched under `mutex`; everything else is immutable.

    /// Where the bucket is and how to sign for it.
    public struct Configuration: Sendable {
        public var bucket: String
        public var region: String
        /// `scheme://host[:port]` of the service, without a path.
        public var endpoint: String
        /// Whether the bucket is the path's first segment rather than part of the host name.
        public var pathStyle: Bool
        public var credentials: SigV4Credentials
        /// How messages name where the credentials came from (a file's path); never the credentials.
        public var credentialsSource: String
        public var retry: RetryPolicy
        /// The deadline of one request with a small body (metadata, manifests, listings).
        public var requestTimeout: Duration
        /// The deadline of one request moving a part or an object's bytes.
        public var transferTimeout: Duration
        public var http: HTTPClient.Configuration
        /// What stops every request of this client, under way or to come (a daemon's stop):
        /// they fail with `S3Error.Code.cancelled`, and none is retried.
        public var cancellation: HTTPCancellation?

        public init(
            bucket: String, region: String, endpoint: String, pathStyle: Bool, credentials: SigV4Credentials,
            credentialsSource: String, retry: RetryPolicy = RetryPolicy(), requestTimeout: Duration = .seconds(60),
            transferTimeout: Duration = .seconds(900), http: HTTPClient.Configuration = HTTPClient.Configuration(),
            cancellation: HTTPCancellation? = nil
        ) {
            self.cancellation = cancellation
            self.bucket = bucket
            self.region = region
            self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
            self.pathStyle = pathStyle
            self.credentials = credentials
            self.credentialsSource = credentialsSource
            self.retry = retry
            self.requestTimeout = requestTimeout
            self.transferTimeout = transferTimeout
            self.http = http
        }
    }

    /// How often and how patiently a request is repeated: exponential backoff with full jitter
    /// (a random wait up to `baseDelay · 2^attempt`, at most `maximumDelay`).
    public struct RetryPolicy: Sendable {
        /// Requests made in all, the first included.
        public var attempts: Int
        public var baseDelay: Duration
        public var maximumDelay: Duration

        public init(attempts: Int = 6, baseDelay: Duration = .milliseconds(250), maximumDelay: Duration = .seconds(20))
        {
            self.attempts = max(1, attempts)
            self.baseDelay = baseDelay
            self.maximumDelay = maximumDelay
        }

        /// The wait before attempt `attempt` (2 is the first retry).
        public func delay(before attempt: Int) -> Duration {
            let ceiling = min(maximumDelay, baseDelay * (1 << min(attempt - 2, 20)))
            let fraction = Double.random(in: 0...1)
            return ceiling * fraction
        }
    }

    /// One request, before signing.
    public struct Request {
        /// The S3 operation's name, for errors (`PutObject`).
        public var operation: String
        public var method: String
        /// The object's key; nil for a request on the bucket itself.
        public var key: String?
        public var query: [SigV4Request.QueryItem]
        public var headers: [HTTPHeader]
        public var body: [UInt8]
        /// Statuses besides 2xx that are answers, not errors (404 for a HEAD that asks whether).
        public var accepted: Set<Int>
        /// Whether the body moves an object's bytes (the longer deadline).
        public var isTransfer: Bool
        /// The body's SHA-256 when the caller computed it already (for `x-amz-checksum-sha256`), so
        /// signing does not hash the body a second time.
        public var bodySHA256: [UInt8]?

        public init(
            operation: String, method: String, key: String?, query: [SigV4Request.QueryItem] = [],
            headers: [HTTPHeader] = [], body: [UInt8] = [], accepted: Set<Int> = [], isTransfer: Bool = false,
            bodySHA256: [UInt8]? = nil
        ) {
            self.bodySHA256 = bodySHA256
            self.operation = operation
            self.method = method
            self.key = key
            self.query = query
            self.headers = headers
            self.body = body
            self.accepted = accepted
            self.isTransfer = isTransfer
        }
    }

    public let configuration: Configuration
    private let signer: SigV4Signer
    private let scheme: String
    private let host: String
    private let mutex = NSLock()
    private var idle: [HTTPClient] = []
    /// Requests sent, by method, for `make bench` and tests.
    private var counts: [String: Int] = [:]

    public init(_ configuration: Configuration) throws(S3Error) {
        self.configuration = configuration
        signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "s3")
        guard let separator = configuration.endpoint.range(of: "://"),
            ["http", "https"].contains(configuration.endpoint[..<separator.lowerBound].lowercased()),
            !configuration.endpoint[separator.upperBound...].isEmpty,
            !configuration.endpoint[separator.upperBound...].contains("/")
        else {
            throw S3Error(
                code: .invalidResponse, operation: "configure", bucket: configuration.bucket, key: nil,
                message: "the endpoint \(configuration.endpoint) is not http(s)://host[:port]")
        }
        scheme = configuration.endpoint[..<separator.lowerBound].lowercased()
        let authority = String(configuration.endpoint[separator.upperBound...])
        host = configuration.pathStyle ? authority : configuration.bucket + "." + authority
    }

    /// How many requests of each method were sent so far.
    public var requestCounts: [String: Int] { mutex.withLock { counts } }

    /// Sends `request`, retrying on 5xx, 408, 429, `SlowDown`/`RequestTimeout` and on timeouts,
    /// refused and dropped connections; anything else is an answer or an `S3Error` at once.
    public func send(_ request: Request) throws(S3Error) -> HTTPResponse {
        var attempt = 1
        while true {
            let response: HTTPResponse
            do {
                response = try withHTTPClient { client throws(HTTPError) in
                    try client.send(httpRequest(for: request), bodyLimit: 4 << 20)
                }
            } catch {
                if error.code == .cancelled { throw cancelled(request.operation, key: request.key, error) }
                if Self.isRetryable(error), attempt < configuration.retry.attempts {
                    attempt += 1
                    sleep(configuration.retry.delay(before: attempt))
                    continue
                }
                throw S3Error(
                    code: .unreachable, operation: request.operation, bucket: configuration.bucket, key: request.key,
                    attempts: attempt, underlying: error)
            }
            if (200..<300).contains(response.status) || request.accepted.contains(response.status) {
                return response
            }
            let failure = self.error(for: response, request: request, attempts: attempt)
            if Self.isRetryable(failure), attempt < configuration.retry.attempts,
                !(configuration.cancellation?.isCancelled ?? false)
            {
                attempt += 1
                sleep(configuration.retry.delay(before: attempt))
                continue
            }
            throw failure
        }
    }

    /// Sends a GET of `key` and hands its bytes to `receive` as they arrive; with `offset`, from that
    /// byte on (`Range`), and with `etag`, only if the object is still that one (`If-Match`).
    ///
    /// Not retried here: the caller knows how far it got and asks again from there.
    public func get(
        key: String, offset: Int64 = 0, etag: String? = nil, receive: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) throws(S3Error) -> HTTPResponse {
        var headers: [HTTPHeader] = []
        if offset > 0 { headers.append(HTTPHeader("Range", "bytes=\(offset)-")) }
        if let etag { headers.append(HTTPHeader("If-Match", etag)) }
        let request = Request(operation: "GetObject", method: "GET", key: key, headers: headers, isTransfer: true)
        let response: HTTPResponse
        do {
            response = try withHTTPClient { client throws(HTTPError) in
                try client.send(httpRequest(for: request), receive: receive)
            }
        } catch {
            if error.code == .cancelled { throw cancelled(request.operation, key: key, error) }
            throw S3Error(
                code: .unreachable, operation: request.operation, bucket: configuration.bucket, key: key,
                underlying: error)
        }
        guard (200..<300).contains(response.status) else {
            throw self.error(for: response, request: request, attempts: 1)
        }
        return response
    }

    /// Whether an error is worth another attempt after a wait.
    public static func isRetryable(_ error: S3Error) -> Bool {
        switch error.code {
        case .unreachable: error.underlying.map(isRetryable) ?? false
        case .rejected:
            [500, 502, 503, 504, 408, 429].contains(error.status ?? 0) || (error.status ?? 0) >= 500
                || ["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable"].contains(error.s3Code ?? "")
        default: false
        }
    }

    static func isRetryable(_ error: HTTPError) -> Bool {
        switch error.code {
        case .timeout, .connectionDropped, .cannotConnect, .transferFailed: true
        case .dnsFailure, .tlsFailure, .tooLarge, .bodyFailed, .invalidRequest, .libcurlUnavailable, .cancelled: false
        }
    }

    private func cancelled(_ operation: String, key: String?, _ error: HTTPError) -> S3Error {
        S3Error(
            code: .cancelled, operation: operation, bucket: configuration.bucket, key: key, underlying: error)
    }

    /// Blocks the calling thread for `duration`.
    public func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var wait = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var left = timespec()
        while nanosleep(&wait, &left) != 0 && errno == EINTR { wait = left }
    }

    /// The URL path of `key` (or of the bucket), decoded, as SigV4 signs it.
    func path(of key: String?) -> String {
        let object = key.map { "/" + $0 } ?? "/"
        return configuration.pathStyle ? "/" + configuration.bucket + (key == nil ? "" : object) : object
    }

    private func httpRequest(for request: Request) -> HTTPRequest {
        let path = path(of: request.key)
        let payload =
            request.bodySHA256.map { SigV4Request.Payload.sha256(SigV4Signer.hex($0)) }
            ?? SigV4Signer.payloadHash(request.body)
        var headers = request.headers + [HTTPHeader("Host", host)]
        let signed = signer.sign(
            SigV4Request(
                method: request.method, path: path, queryItems: request.query,
                headers: headers.map { SigV4Request.Header($0.name, $0.value) }, payload: payload),
            at: Date())
        headers += signed.headers.map { HTTPHeader($0.name, $0.value) }
        let query = SigV4Signer.encodedQuery(request.query)
        let url = "\(scheme)://\(host)\(SigV4Signer.encodedPath(path))" + (query.isEmpty ? "" : "?" + query)
        mutex.withLock { counts[request.method, default: 0] += 1 }
        let hasBody = !request.body.isEmpty || ["PUT", "POST"].contains(request.method)
        return HTTPRequest(
            method: request.method, url: url, headers: headers, body: hasBody ? .bytes(request.body) : .none,
            timeout: request.isTransfer ? configuration.transferTimeout : configuration.requestTimeout,
            cancellation: configuration.cancellation)
    }

    private func error(for response: HTTPResponse, request: Request, attempts: Int) -> S3Error {
        var s3Code: String? = nil
        var message: String? = nil
        var requestID = response.header("x-amz-request-id")
        if let document = try? S3XML.parse(response.body), document.name == "Error" {
            s3Code = document["Code"]
            message = document["Message"]
            requestID = document["RequestId"] ?? requestID
        }
        let code: S3Error.Code
        switch (response.status, s3Code) {
        case (_, "SignatureDoesNotMatch"), (_, "InvalidAccessKeyId"), (_, "AccessDenied"), (_, "ExpiredToken"),
            (_, "InvalidToken"), (_, "RequestTimeTooSkewed"), (_, "InvalidSecurity"), (403, nil):
            code = .credentialsRejected
        case (_, "NoSuchBucket"): code = .noSuchBucket
        case (_, "InvalidRequest") where Self.saysObjectLock(message):
            code = .objectLockNotEnabled
        case (_, "NoSuchKey"), (404, nil): code = .noSuchKey
        case (412, _): code = .preconditionFailed
        case (301, _), (_, "AuthorizationHeaderMalformed"), (_, "PermanentRedirect"),
            (_, "IllegalLocationConstraintException"):
            code = .wrongRegion
        default: code = .rejected
        }
        return S3Error(
            code: code, operation: request.operation, bucket: configuration.bucket, key: request.key,
            status: response.status, s3Code: s3Code, message: message, requestID: requestID, attempts: attempts,
            credentialsSource: configuration.credentialsSource)
    }

    /// Whether S3's message is about Object Lock ("Bucket is missing Object Lock Configuration";
    /// moto: "…ObjectLockConfiguration").
    static func saysObjectLock(_ message: String?) -> Bool {
        (message ?? "").lowercased().replacingOccurrences(of: " ", with: "").contains("objectlock")
    }

    private func withHTTPClient<T>(_ body: (HTTPClient) throws(HTTPError) -> T) throws(HTTPError) -> T {
        let reused = mutex.withLock { idle.popLast() }
        let client: HTTPClient
        if let reused { client = reused } else { client = try HTTPClient(configuration: configuration.http) }
        let result = try body(client)
        mutex.withLock { if idle.count < 4 { idle.append(client) } }
        return result
    }
}

extension Duration {
    fileprivate static func * (duration: Duration, fraction: Double) -> Duration {
        .nanoseconds(
            Int64(
                Double(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
                    * fraction))
    }
}
