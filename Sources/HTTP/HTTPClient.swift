import CCurl

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking HTTP/1.1 client over libcurl, for one worker thread at a time.
///
/// One client holds one curl easy handle, so consecutive requests to the same host reuse the connection
/// (keep-alive). It is not for sharing: give each worker thread its own client. TLS peers are always verified,
/// against the system trust store (`/etc/ssl/certs`) plus ``Configuration/extraCAFile`` if set; proxies from
/// the environment (`https_proxy`, …) are ignored unless ``Configuration/proxy`` names one; requests never send
/// `Expect: 100-continue` and never follow redirects.
public final class HTTPClient {
    /// Settings that hold for every request of a client.
    public struct Configuration: Sendable {
        /// How long connecting (TCP and TLS) may take, within each request's own deadline.
        public var connectTimeout: Duration
        /// A PEM file of CA certificates trusted in addition to the system's (a private endpoint's CA).
        public var extraCAFile: String?
        /// A proxy URL to use; `nil` means none, whatever the environment says.
        public var proxy: String?

        public init(connectTimeout: Duration = .seconds(10), extraCAFile: String? = nil, proxy: String? = nil) {
            self.connectTimeout = connectTimeout
            self.extraCAFile = extraCAFile
            self.proxy = proxy
        }
    }

    public let configuration: Configuration
    private let curl: LibCurl
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The folder of trusted CA certificates named by subject hash (`openssl rehash`); tests point it elsewhere.
    let trustStoreFolder: String

    /// A client; the first one loads libcurl, and fails with ``HTTPError/Code/libcurlUnavailable`` if it cannot.
    public convenience init(configuration: Configuration = Configuration()) throws(HTTPError) {
        try self.init(configuration: configuration, trustStoreFolder: "/etc/ssl/certs")
    }

    init(configuration: Configuration, trustStoreFolder: String) throws(HTTPError) {
        curl = try LibCurl.shared.get()
        guard let handle = curl.easyInit() else {
            throw HTTPError(
                code: .libcurlUnavailable, request: "HTTP client", detail: "curl_easy_init failed", underlying: nil)
        }
        self.handle = handle
        self.configuration = configuration
        self.trustStoreFolder = trustStoreFolder
        errorBuffer = .allocate(capacity: Int(ccurl_error_size()))
        errorBuffer.initialize(repeating: 0, count: Int(ccurl_error_size()))
    }

    deinit {
        curl.easyCleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `request` and collects the response body, failing with ``HTTPError/Code/tooLarge`` past
    /// `bodyLimit` bytes.
    public func send(_ request: HTTPRequest, bodyLimit: Int = 1 << 20) throws(HTTPError) -> HTTPResponse {
        try perform(request, bodyLimit: bodyLimit, receive: nil)
    }

    /// Sends `request` and hands a 2xx response's body to `receive` piece by piece as it arrives, so no
    /// whole object is held; any other status's body (an error document) is collected up to `errorBodyLimit`.
    public func send(
        _ request: HTTPRequest, errorBodyLimit: Int = 1 << 16,
        receive: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) throws(HTTPError) -> HTTPResponse {
        try perform(request, bodyLimit: errorBodyLimit, receive: receive)
    }

    private func perform(
        _ request: HTTPRequest, bodyLimit: Int, receive: ((UnsafeRawBufferPointer) throws -> Void)?
    ) throws(HTTPError) -> HTTPResponse {
        let transfer = Transfer(
            body: request.body, bodyLimit: bodyLimit, receive: receive, cancellation: request.cancellation)
        let description = "\(request.method) \(HTTPError.redacted(request.url))"
        if request.cancellation?.isCancelled ?? false {
            throw HTTPError(
                code: .cancelled, request: description, detail: "cancelled before it started", underlying: nil)
        }
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl.slistFreeAll(headerList) }
        // An empty `Expect:` stops curl's 100-continue wait before large bodies.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            guard let appended = curl.slistAppend(headerList, line) else {
                throw HTTPError(code: .invalidRequest, request: description, detail: "out of memory", underlying: nil)
            }
            headerList = appended
        }

        // Options stay set on the handle between requests; reset keeps live connections and caches.
        curl.easyReset(handle)
        errorBuffer[0] = 0
        let unmanaged = Unmanaged.passRetained(transfer)
        defer { unmanaged.release() }
        var result = CURLE_OK
        func set(_ code: CURLcode) { if result == CURLE_OK { result = code } }
        set(ccurl_setopt_string(curl.setopt, handle, CURLOPT_URL, request.url))
        set(ccurl_setopt_pointer(curl.setopt, handle, CURLOPT_ERRORBUFFER, errorBuffer))
        set(ccurl_setopt_long(curl.setopt, handle, CURLOPT_NOSIGNAL, 1))
        set(ccurl_setopt_string(curl.setopt, handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(ccurl_setopt_string(curl.setopt, handle, CURLOPT_PROXY, configuration.proxy ?? ""))
        set(ccurl_setopt_long(curl.setopt, handle, CURLOPT_SSL_VERIFYPEER, 1))
        set(ccurl_setopt_long(curl.setopt, handle, CURLOPT_SSL_VERIFYHOST, 2))
        // The system's trust store as OpenSSL's hashed folder, read one certificate at a time as a chain
        // needs it; curl's default, the whole ca-certificates.crt bundle, costs about 1 MiB per client.
        // With OpenSSL, CAINFO and CAPATH both count: the extra file adds to the folder.
        set(ccurl_setopt_string(curl.setopt, handle, CURLOPT_CAPATH, trustStoreFolder))
        if let extraCAFile = configuration.extraCAFile {
            set(ccurl_setopt_string(curl.setopt, handle, CURLOPT_CAINFO, extraCAFile))
        } else {
            set(ccurl_setopt_pointer(curl.setopt, handle, CURLOPT_CAINFO, nil))
        }
        set(
            ccurl_setopt_long(
                curl.setopt, handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout)))
        set(ccurl_setopt_long(curl.setopt, handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout)))
        set(ccurl_setopt_long(curl.setopt, handle, CURLOPT_TCP_KEEPALIVE, 1))
        set(ccurl_setopt_slist(curl.setopt, handle, CURLOPT_HTTPHEADER, headerList))
        set(ccurl_setopt_callback(curl.setopt, handle, CURLOPT_HEADERFUNCTION, Transfer.onHeader))
        set(ccurl_setopt_pointer(curl.setopt, handle, CURLOPT_HEADERDATA, unmanaged.toOpaque()))
        set(ccurl_setopt_callback(curl.setopt, handle, CURLOPT_WRITEFUNCTION, Transfer.onBody))
        set(ccurl_setopt_pointer(curl.setopt, handle, CURLOPT_WRITEDATA, unmanaged.toOpaque()))
        if request.cancellation != nil {
            set(ccurl_setopt_long(curl.setopt, handle, CURLOPT_NOPROGRESS, 0))
            set(ccurl_setopt_xferinfo(curl.setopt, handle, Transfer.onProgress))
            set(ccurl_setopt_pointer(curl.setopt, handle, CURLOPT_XFERINFODATA, unmanaged.toOpaque()))
        }
        switch (request.method, request.body.length) {
        case ("GET", nil):
            break
        case ("HEAD", nil):
            set(ccurl_setopt_long(curl.setopt, handle, CURLOPT_NOBODY, 1))
        case (let method, nil):
            set(ccurl_setopt_string(curl.setopt, handle, CURLOPT_CUSTOMREQUEST, method))
        case (let method, let length?):
            set(ccurl_setopt_long(curl.setopt, handle, CURLOPT_UPLOAD, 1))
            set(ccurl_setopt_off_t(curl.setopt, handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(length)))
            set(ccurl_setopt_callback(curl.setopt, handle, CURLOPT_READFUNCTION, Transfer.onRead))
            set(ccurl_setopt_pointer(curl.setopt, handle, CURLOPT_READDATA, unmanaged.toOpaque()))
            if method != "PUT" { set(ccurl_setopt_string(curl.setopt, handle, CURLOPT_CUSTOMREQUEST, method)) }
        }
        if result == CURLE_OK { result = curl.easyPerform(handle) }

        if result != CURLE_OK || transfer.failure != nil {
            throw error(for: result, transfer: transfer, request: description)
        }
        var status = 0
        var connects = 0
        _ = ccurl_getinfo_long(curl.getinfo, handle, CURLINFO_RESPONSE_CODE, &status)
        _ = ccurl_getinfo_long(curl.getinfo, handle, CURLINFO_NUM_CONNECTS, &connects)
        return HTTPResponse(
            status: status, headers: transfer.headers, body: transfer.collected, reusedConnection: connects == 0)
    }

    private func error(for result: CURLcode, transfer: Transfer, request: String) -> HTTPError {
        var curlText =
            errorBuffer[0] != 0
            ? String(cString: errorBuffer)
            : curl.easyStrerror(result).map { String(cString: $0) } ?? "curl error \(result.rawValue)"
        // curl's text for a failed connect omits the reason; the system's errno says refused or unreachable.
        var osErrno = 0
        if ccurl_getinfo_long(curl.getinfo, handle, CURLINFO_OS_ERRNO, &osErrno) == CURLE_OK, osErrno != 0 {
            curlText += " (\(String(cString: strerror(Int32(osErrno)))))"
        }
        if let failure = transfer.failure {
            return HTTPError(code: failure.code, request: request, detail: failure.detail, underlying: failure.error)
        }
        let code: HTTPError.Code
        switch result {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: code = .dnsFailure
        case CURLE_COULDNT_CONNECT: code = .cannotConnect
        case CURLE_OPERATION_TIMEDOUT: code = .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_USE_SSL_FAILED,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED:
            code = .tlsFailure
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            code = .connectionDropped
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT: code = .invalidRequest
        default: code = .transferFailed
        }
        return HTTPError(code: code, request: request, detail: curlText, underlying: nil)
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
