import Crypto
import Foundation
import HTTP

/// What a listing says about one object.
public struct S3ObjectSummary: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String
}

/// One page of a listing.
public struct S3ListPage: Sendable {
    public var objects: [S3ObjectSummary]
    /// The common prefixes (with a delimiter): the "folders".
    public var prefixes: [String]
    /// Where the next page starts; nil on the last page.
    public var continuationToken: String?
}

/// What a HEAD says about an object.
public struct S3ObjectHead: Sendable, Equatable {
    public var size: Int64
    public var etag: String
    /// `x-amz-checksum-sha256` as the service stored it (base64; `…-<parts>` for a multipart
    /// upload's composite), when it keeps one and the HEAD asked (`checksums: true`).
    public var checksumSHA256: String? = nil
    /// `x-amz-version-id`, in a versioned bucket (every bucket with Object Lock is one).
    public var versionID: String? = nil
    /// The object version's Object Lock retention, when it has one.
    public var retention: S3Retention? = nil
    /// Whether an Object Lock legal hold keeps the version (`x-amz-object-lock-legal-hold: ON`),
    /// whatever its retention says, until someone lifts it.
    public var legalHold = false
    /// `x-amz-storage-class`; S3 leaves it out for `STANDARD`.
    public var storageClass: String? = nil
}

/// What a body sent to S3 hashes to: its MD5 (`Content-MD5`, a plain ETag) and its SHA-256
/// (`x-amz-checksum-sha256`).
public struct S3Digests: Sendable, Equatable {
    public var md5: [UInt8]
    public var sha256: [UInt8]

    public init(of bytes: [UInt8]) {
        md5 = Array(Insecure.MD5.hash(data: bytes))
        sha256 = Array(SHA256.hash(data: bytes))
    }

    /// The headers that let S3 refuse a body damaged on the way (no `aws-chunked` trailers: B2
    /// and R2 reject them).
    var headers: [HTTPHeader] {
        [
            HTTPHeader("Content-MD5", Data(md5).base64EncodedString()),
            HTTPHeader("x-amz-checksum-sha256", Data(sha256).base64EncodedString()),
        ]
    }
}

extension S3Client {
    /// Puts `bytes` under `key`, with `Content-MD5` so S3 refuses a body damaged on the way; with
    /// `ifNoneMatch`, only if no object has that key (`If-None-Match: *`: a 412 is a
    /// `preconditionFailed` error). Returns the object's ETag.
    ///
    /// A conditional PUT that is retried after a dropped answer may find its own first attempt
    /// stored: that 412 is success when the object there has this body's MD5.
    @discardableResult
    public func put(
        key: String, bytes: [UInt8], ifNoneMatch: Bool = false, ifMatch: String? = nil, contentType: String? = nil,
        settings: S3WriteSettings = .none
    ) throws(S3Error) -> String {
        let digests = S3Digests(of: bytes)
        let md5 = digests.md5
        // Content-MD5 (in the digests' headers) is also what S3 requires of a PUT with a retention.
        var headers = digests.headers + settings.headers
        if ifNoneMatch { headers.append(HTTPHeader("If-None-Match", "*")) }
        if let ifMatch { headers.append(HTTPHeader("If-Match", ifMatch)) }
        if let contentType { headers.append(HTTPHeader("Content-Type", contentType)) }
        do {
            let response = try send(
                Request(
                    operation: "PutObject", method: "PUT", key: key, headers: headers, body: bytes,
                    isTransfer: bytes.count > 1 << 20, bodySHA256: digests.sha256))
            return response.header("ETag") ?? ""
        } catch let error where error.code == .preconditionFailed && error.attempts > 1 && ifNoneMatch {
            if let head = try? head(key: key), head.size == bytes.count,
                head.etag.trimmingCharacters(in: ["\""]) == SigV4Signer.hex(md5)
            {
                return head.etag
            }
            throw error
        }
    }

    /// The size and ETag of `key`, or nil if there is no such object; with `checksums`, also the
    /// SHA-256 checksum the service stored (`x-amz-checksum-mode: ENABLED`).
    public func head(key: String, checksums: Bool = false) throws(S3Error) -> S3ObjectHead? {
        let headers = checksums ? [HTTPHeader("x-amz-checksum-mode", "ENABLED")] : []
        let response = try send(
            Request(operation: "HeadObject", method: "HEAD", key: key, headers: headers, accepted: [404]))
        if response.status == 404 { return nil }
        guard let length = response.header("Content-Length").flatMap({ Int64($0) }) else {
            throw S3Error(
                code: .invalidResponse, operation: "HeadObject", bucket: configuration.bucket, key: key,
                message: "no Content-Length", requestID: response.header("x-amz-request-id"))
        }
        var retention: S3Retention? = nil
        if let mode = response.header("x-amz-object-lock-mode").flatMap({ S3Retention.Mode(rawValue: $0.uppercased()) }
        ),
            let until = response.header("x-amz-object-lock-retain-until-date").flatMap(S3Retention.date)
        {
            retention = S3Retention(mode: mode, until: until)
        }
        return S3ObjectHead(
            size: length, etag: response.header("ETag") ?? "", checksumSHA256: response.header("x-amz-checksum-sha256"),
            versionID: response.header("x-amz-version-id").flatMap { $0 == "null" ? nil : $0 }, retention: retention,
            legalHold: response.header("x-amz-object-lock-legal-hold")?.uppercased() == "ON",
            storageClass: response.header("x-amz-storage-class"))
    }

    /// The whole of a small object (at most `limit` bytes), or nil if there is none.
    public func getSmall(key: String, limit: Int) throws(S3Error) -> (bytes: [UInt8], etag: String)? {
        let response = try send(Request(operation: "GetObject", method: "GET", key: key, accepted: [404]))
        if response.status == 404 { return nil }
        guard response.body.count <= limit else {
            throw S3Error(
                code: .invalidResponse, operation: "GetObject", bucket: configuration.bucket, key: key,
                message: "the object is larger than the \(limit) bytes expected")
        }
        return (response.body, response.header("ETag") ?? "")
    }

    /// Deletes `key` (no error if it is gone); with `ifMatch`, only if it is still that version
    /// (a 412 is a `preconditionFailed` error). With `versionID`, that version for good, not just
    /// hidden behind a delete marker as a DELETE of a versioned bucket's key is; a version under
    /// Object Lock retention is refused with `AccessDenied`.
    public func delete(key: String, ifMatch: String? = nil, versionID: String? = nil) throws(S3Error) {
        let headers = ifMatch.map { [HTTPHeader("If-Match", $0)] } ?? []
        _ = try send(
            Request(
                operation: "DeleteObject", method: "DELETE", key: key,
                query: versionID.map { [.init("versionId", $0)] } ?? [],
                headers: headers, accepted: [404]))
    }

    /// One page of the objects whose keys start with `prefix` (ListObjectsV2), at most `maximumKeys`.
    public func list(
        prefix: String, delimiter: String? = nil, continuationToken: String? = nil, maximumKeys: Int = 1000
    ) throws(S3Error) -> S3ListPage {
        var query: [SigV4Request.QueryItem] = [
            .init("list-type", "2"), .init("prefix", prefix), .init("max-keys", String(maximumKeys)),
        ]
        if let delimiter { query.append(.init("delimiter", delimiter)) }
        if let continuationToken { query.append(.init("continuation-token", continuationToken)) }
        let response = try send(Request(operation: "ListObjectsV2", method: "GET", key: nil, query: query))
        let document = try parse(response, operation: "ListObjectsV2", expecting: "ListBucketResult")
        var page = S3ListPage(objects: [], prefixes: [], continuationToken: nil)
        for item in document.all("Contents") {
            guard let key = item["Key"], let size = item["Size"].flatMap({ Int64($0) }) else {
                throw invalid(response, "ListObjectsV2", "an entry without Key or Size")
            }
            page.objects.append(S3ObjectSummary(key: key, size: size, etag: item["ETag"] ?? ""))
        }
        page.prefixes = document.all("CommonPrefixes").compactMap { $0["Prefix"] }
        if document["IsTruncated"] == "true" {
            guard let token = document["NextContinuationToken"] else {
                throw invalid(response, "ListObjectsV2", "a truncated page without NextContinuationToken")
            }
            page.continuationToken = token
        }
        return page
    }

    /// Every object whose key starts with `prefix`, page after page.
    public func listAll(prefix: String, pageSize: Int = 1000) throws(S3Error) -> [S3ObjectSummary] {
        var objects: [S3ObjectSummary] = []
        var token: String? = nil
        repeat {
            let page = try list(prefix: prefix, continuationToken: token, maximumKeys: pageSize)
            objects += page.objects
            token = page.continuationToken
        } while token != nil
        return objects
    }

    /// Every common prefix under `prefix` up to the next `/` (the "folders"), page after page.
    public func listFolders(prefix: String, pageSize: Int = 1000) throws(S3Error) -> [String] {
        var folders: [String] = []
        var token: String? = nil
        repeat {
            let page = try list(prefix: prefix, delimiter: "/", continuationToken: token, maximumKeys: pageSize)
            folders += page.prefixes
            token = page.continuationToken
        } while token != nil
        return folders
    }

    func parse(_ response: HTTPResponse, operation: String, expecting root: String) throws(S3Error) -> S3XMLElement {
        let document: S3XMLElement
        do {
            document = try S3XML.parse(response.body)
        } catch {
            throw invalid(response, operation, "unreadable XML: \(error)")
        }
        guard document.name == root else { throw invalid(response, operation, "a <\(document.name)> document") }
        return document
    }

    func invalid(_ response: HTTPResponse, _ operation: String, _ message: String) -> S3Error {
        S3Error(
            code: .invalidResponse, operation: operation, bucket: configuration.bucket, key: nil,
            status: response.status, message: message, requestID: response.header("x-amz-request-id"))
    }
}
