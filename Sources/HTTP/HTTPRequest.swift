/// One header line of a request or a response.
public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP request for ``HTTPClient``: method, URL, headers, body and how long it may take.
public struct HTTPRequest {
    public var method: String
    /// The absolute `http://` or `https://` URL, already percent-encoded; never printed with its userinfo or
    /// signature query items (see ``HTTPError``).
    public var url: String
    public var headers: [HTTPHeader]
    public var body: Body
    /// The deadline for the whole exchange, from connecting to the last byte of the response.
    public var timeout: Duration
    /// What stops the request early, if anything.
    public var cancellation: HTTPCancellation?

    public init(
        method: String, url: String, headers: [HTTPHeader] = [], body: Body = .none, timeout: Duration = .seconds(60),
        cancellation: HTTPCancellation? = nil
    ) {
        self.cancellation = cancellation
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// What is sent after the headers.
    public enum Body {
        case none
        case bytes([UInt8])
        /// `length` bytes produced by `read`, which fills the buffer it is given and returns how many bytes it
        /// wrote (0 only at the end); sent with `Content-Length`, never chunked, never held whole in memory.
        case stream(length: Int64, read: (UnsafeMutableRawBufferPointer) throws -> Int)

        var length: Int64? {
            switch self {
            case .none: nil
            case .bytes(let bytes): Int64(bytes.count)
            case .stream(let length, _): length
            }
        }
    }
}

/// The status and headers of the final response, and its body when the client collected it.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    /// The body, when collected; with a streaming receiver, only the body of a response that is not 2xx
    /// (an error document to read), up to the limit.
    public var body: [UInt8]
    /// Whether the request went over a connection kept alive from an earlier one.
    public var reusedConnection: Bool

    /// The first value of the header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
