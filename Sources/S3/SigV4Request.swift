/// What SigV4 signs of an HTTP request: its method, path, query, headers and payload hash.
///
/// `path` and the query items are *decoded* (`/bucket/my key`, not `/bucket/my%20key`): the signer
/// URI-encodes them exactly once, and ``SigV4Signer/encodedPath(_:)`` and ``SigV4Signer/encodedQuery(_:)``
/// give the same encoding for the URL that is sent. `headers` must include `Host`; every header listed is
/// signed, so list only headers that reach the server unchanged.
public struct SigV4Request: Sendable, Equatable {
    public var method: String
    public var path: String
    public var queryItems: [QueryItem]
    public var headers: [Header]
    public var payload: Payload

    public init(
        method: String, path: String, queryItems: [QueryItem] = [], headers: [Header], payload: Payload
    ) {
        self.method = method
        self.path = path
        self.queryItems = queryItems
        self.headers = headers
        self.payload = payload
    }

    /// One header line; names are compared case-insensitively, repeated names are joined with commas.
    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// One `name=value` pair of the query string, decoded; a bare `name` has the empty value.
    public struct QueryItem: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The body as the signature covers it.
    public enum Payload: Sendable, Equatable {
        /// The lowercase hex SHA-256 of the body (for an empty body, the hash of no bytes).
        case sha256(String)
        /// `UNSIGNED-PAYLOAD`: S3 accepts it over TLS, and presigned URLs use it.
        case unsigned

        /// The hash the canonical request ends with.
        var canonicalValue: String {
            switch self {
            case .sha256(let hex): hex
            case .unsigned: "UNSIGNED-PAYLOAD"
            }
        }
    }
}
