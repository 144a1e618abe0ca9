import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Signs requests with AWS Signature Version 4, in the `Authorization` header or in a presigned URL's query.
///
/// Signing is a pure function of the request, the credentials and the date: no clock is read and nothing is
/// sent. The canonical request and string to sign come back with every signature, for tests and for
/// explaining a `SignatureDoesNotMatch`. <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>
public struct SigV4Signer: Sendable {
    public var credentials: SigV4Credentials
    public var region: String
    public var service: String
    /// Whether the path is normalized per RFC 3986 (`.`/`..` removed, repeated `/` collapsed) before signing.
    /// S3 object keys may contain `//` and `..`, so S3 needs `false`; most other services expect `true`.
    public var normalizesPath: Bool
    /// Whether header signing adds (and signs) `X-Amz-Content-Sha256`; S3 requires it.
    public var sendsContentSHA256: Bool
    /// Whether the session token is part of what is signed; a few services want it added after signing.
    public var signsSessionToken: Bool

    public static let algorithm = "AWS4-HMAC-SHA256"

    /// A signer for `service` in `region`; for `"s3"` the defaults are S3's: no path normalization and
    /// `X-Amz-Content-Sha256` sent.
    public init(
        credentials: SigV4Credentials, region: String, service: String, normalizesPath: Bool? = nil,
        sendsContentSHA256: Bool? = nil, signsSessionToken: Bool = true
    ) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.normalizesPath = normalizesPath ?? (service != "s3")
        self.sendsContentSHA256 = sendsContentSHA256 ?? (service == "s3")
        self.signsSessionToken = signsSessionToken
    }

    /// The result of signing: what to add to the request, and the intermediate texts that produced it.
    public struct Signature: Sendable, Equatable {
        public var canonicalRequest: String
        public var stringToSign: String
        /// The lowercase hex HMAC-SHA256 signature.
        public var signature: String
        /// For header signing, the headers to add (`X-Amz-Date`, `X-Amz-Content-Sha256`,
        /// `X-Amz-Security-Token`, `Authorization`); empty for query signing.
        public var headers: [SigV4Request.Header]
        /// For query signing, the query items to append to the request's own (ending with `X-Amz-Signature`);
        /// empty for header signing.
        public var queryItems: [SigV4Request.QueryItem]
    }

    /// Signs `request` as of `date` in the `Authorization` header.
    public func sign(_ request: SigV4Request, at date: Date) -> Signature {
        let time = SigV4Time(date)
        let token = credentials.sessionToken
        var added: [SigV4Request.Header] = [.init("X-Amz-Date", time.timestamp)]
        if sendsContentSHA256 { added.append(.init("X-Amz-Content-Sha256", request.payload.canonicalValue)) }
        if let token, signsSessionToken { added.append(.init("X-Amz-Security-Token", token)) }

        let addedNames = Set(added.map { $0.name.lowercased() })
        let signed = request.headers.filter { !addedNames.contains($0.name.lowercased()) } + added
        let headers = Self.canonicalHeaders(signed)
        let canonicalRequest = canonicalRequest(
            request, query: Self.encodedQuery(request.queryItems), headers: headers)
        let (stringToSign, signature) = signature(of: canonicalRequest, time: time)

        var result = added
        if let token, !signsSessionToken { result.append(.init("X-Amz-Security-Token", token)) }
        result.append(
            .init(
                "Authorization",
                "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(time.scope(region, service)), "
                    + "SignedHeaders=\(headers.names), Signature=\(signature)"))
        return Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature, headers: result,
            queryItems: [])
    }

    /// Signs `request` as of `date` in its query string (a presigned URL valid for `expires` seconds).
    ///
    /// S3's presigned URLs use ``SigV4Request/Payload/unsigned``.
    public func presign(_ request: SigV4Request, at date: Date, expires: Int) -> Signature {
        let time = SigV4Time(date)
        let headers = Self.canonicalHeaders(request.headers)
        var added: [SigV4Request.QueryItem] = [
            .init("X-Amz-Algorithm", Self.algorithm),
            .init("X-Amz-Credential", "\(credentials.accessKeyID)/\(time.scope(region, service))"),
            .init("X-Amz-Date", time.timestamp),
            .init("X-Amz-SignedHeaders", headers.names),
            .init("X-Amz-Expires", String(expires)),
        ]
        if let token = credentials.sessionToken, signsSessionToken {
            added.append(.init("X-Amz-Security-Token", token))
        }
        let canonicalRequest = canonicalRequest(
            request, query: Self.encodedQuery(request.queryItems + added), headers: headers)
        let (stringToSign, signature) = signature(of: canonicalRequest, time: time)
        if let token = credentials.sessionToken, !signsSessionToken {
            added.append(.init("X-Amz-Security-Token", token))
        }
        added.append(.init("X-Amz-Signature", signature))
        return Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature, headers: [],
            queryItems: added)
    }

    private func canonicalRequest(
        _ request: SigV4Request, query: String, headers: (lines: String, names: String)
    ) -> String {
        let path = Self.encodedPath(normalizesPath ? Self.normalizedPath(request.path) : request.path)
        return [request.method, path, query, headers.lines, headers.names, request.payload.canonicalValue]
            .joined(separator: "\n")
    }

    private func signature(of canonicalRequest: String, time: SigV4Time) -> (stringToSign: String, signature: String) {
        let stringToSign = [
            Self.algorithm, time.timestamp, time.scope(region, service),
            Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [time.day, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        let signature = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key)
        return (stringToSign, Self.hex(signature))
    }

    /// The hex SHA-256 of `bytes`, as ``SigV4Request/Payload/sha256(_:)`` wants it.
    public static func payloadHash(_ bytes: some Sequence<UInt8>) -> SigV4Request.Payload {
        .sha256(hex(SHA256.hash(data: Array(bytes))))
    }

    /// Lowercase hex, as SigV4 and S3's ETags spell digests.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
