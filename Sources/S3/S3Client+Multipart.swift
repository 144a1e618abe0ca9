import Crypto
import Foundation
import HTTP

/// A multipart upload that was started and neither completed nor aborted.
public struct S3MultipartUpload: Sendable, Equatable {
    public var key: String
    public var uploadID: String
}

/// A part uploaded: its number and the ETag CompleteMultipartUpload must name, and what its
/// bytes hashed to here before they were sent.
public struct S3UploadedPart: Sendable, Equatable {
    public var number: Int
    public var etag: String
    public var size: Int
    public var digests: S3Digests
}

extension S3Client {
    /// The smallest part S3 accepts, but for the last.
    public static let minimumPartSize = 5 << 20

    /// Starts a multipart upload of `key` whose parts carry SHA-256 checksums (the object's is
    /// then their composite, see `compositeChecksum`); returns its upload id. The object gets
    /// `settings` (storage class, retention) when it is completed; S3 requires a `Content-MD5` (or
    /// a checksum) on every part of an upload with a retention, and `uploadPart` sends both.
    public func createMultipartUpload(key: String, settings: S3WriteSettings = .none) throws(S3Error) -> String {
        let response = try send(
            Request(
                operation: "CreateMultipartUpload", method: "POST", key: key, query: [.init("uploads", "")],
                headers: [HTTPHeader("x-amz-checksum-algorithm", "SHA256")] + settings.headers))
        let document = try parse(
            response, operation: "CreateMultipartUpload", expecting: "InitiateMultipartUploadResult")
        guard let id = document["UploadId"], !id.isEmpty else {
            throw invalid(response, "CreateMultipartUpload", "no UploadId")
        }
        return id
    }

    /// Uploads part `number` of an upload, with its `Content-MD5` and `x-amz-checksum-sha256`.
    public func uploadPart(key: String, uploadID: String, number: Int, bytes: [UInt8]) throws(S3Error) -> S3UploadedPart
    {
        let digests = S3Digests(of: bytes)
        let response = try send(
            Request(
                operation: "UploadPart", method: "PUT", key: key,
                query: [.init("partNumber", String(number)), .init("uploadId", uploadID)],
                headers: digests.headers, body: bytes, isTransfer: true, bodySHA256: digests.sha256))
        guard let etag = response.header("ETag") else { throw invalid(response, "UploadPart", "no ETag") }
        return S3UploadedPart(number: number, etag: etag, size: bytes.count, digests: digests)
    }

    /// The checksum S3 gives an object completed from `parts` uploaded with SHA-256 checksums:
    /// `"<base64 SHA-256 of the parts' SHA-256s>-<number of parts>"`.
    public static func compositeChecksum(_ parts: [S3UploadedPart]) -> String {
        Data(SHA256.hash(data: parts.flatMap(\.digests.sha256))).base64EncodedString() + "-\(parts.count)"
    }

    /// The ETag S3 gives an object completed from `parts` when ETags are MD5s (no SSE-KMS),
    /// from the MD5s computed here, not the ETags the service answered.
    public static func expectedMultipartETag(_ parts: [S3UploadedPart]) -> String {
        "\"" + SigV4Signer.hex(Insecure.MD5.hash(data: parts.flatMap(\.digests.md5))) + "-\(parts.count)\""
    }

    /// Completes an upload from its parts; with `ifNoneMatch`, only if no object has that key yet
    /// (a 412 is a `preconditionFailed` error). Returns the object's ETag.
    @discardableResult
    public func completeMultipartUpload(
        key: String, uploadID: String, parts: [S3UploadedPart], ifNoneMatch: Bool
    ) throws(S3Error) -> String {
        let body =
            "<CompleteMultipartUpload>"
            + parts.map {
                "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(S3XML.escaped($0.etag))</ETag>"
                    + "<ChecksumSHA256>\(Data($0.digests.sha256).base64EncodedString())</ChecksumSHA256></Part>"
            }
            .joined() + "</CompleteMultipartUpload>"
        let bytes = Array(body.utf8)
        var headers = [
            HTTPHeader("Content-MD5", Data(Insecure.MD5.hash(data: bytes)).base64EncodedString()),
            HTTPHeader("Content-Type", "application/xml"),
        ]
        if ifNoneMatch { headers.append(HTTPHeader("If-None-Match", "*")) }
        let response: HTTPResponse
        do {
            response = try send(
                Request(
                    operation: "CompleteMultipartUpload", method: "POST", key: key,
                    query: [.init("uploadId", uploadID)], headers: headers, body: bytes, isTransfer: true))
        } catch {
            // Retried after a lost answer, the first attempt may have completed it: a 412 is success
            // when the object there has the ETag these parts make.
            guard error.code == .preconditionFailed, error.attempts > 1, ifNoneMatch,
                let head = try? head(key: key), head.etag == Self.multipartETag(parts)
            else { throw error }
            return head.etag
        }
        // S3 may answer 200 with an error document once it has started answering (its docs say so).
        let document = try parse(
            response, operation: "CompleteMultipartUpload", expecting: "CompleteMultipartUploadResult", orError: true)
        return document?["ETag"] ?? ""
    }

    /// The ETag S3 gives an object completed from `parts` whose ETags are their MD5s:
    /// `"<MD5 of the parts' MD5s>-<number of parts>"`.
    public static func multipartETag(_ parts: [S3UploadedPart]) -> String {
        var digests: [UInt8] = []
        for part in parts {
            let hex = Array(part.etag.utf8.filter { $0 != UInt8(ascii: "\"") })
            guard hex.count == 32 else { return "" }
            for index in stride(from: 0, to: 32, by: 2) {
                guard let byte = UInt8(String(decoding: hex[index..<(index + 2)], as: UTF8.self), radix: 16) else {
                    return ""
                }
                digests.append(byte)
            }
        }
        return "\"" + SigV4Signer.hex(Insecure.MD5.hash(data: digests)) + "-\(parts.count)\""
    }

    /// Aborts an upload, dropping its parts (no error if it is gone already).
    public func abortMultipartUpload(key: String, uploadID: String) throws(S3Error) {
        _ = try send(
            Request(
                operation: "AbortMultipartUpload", method: "DELETE", key: key, query: [.init("uploadId", uploadID)],
                accepted: [404]))
    }

    /// The unfinished multipart uploads of keys starting with `prefix`, page after page.
    public func listMultipartUploads(prefix: String) throws(S3Error) -> [S3MultipartUpload] {
        var uploads: [S3MultipartUpload] = []
        var markers: (key: String, id: String)? = nil
        repeat {
            var query: [SigV4Request.QueryItem] = [.init("uploads", ""), .init("prefix", prefix)]
            if let markers {
                query += [.init("key-marker", markers.key), .init("upload-id-marker", markers.id)]
            }
            let response = try send(Request(operation: "ListMultipartUploads", method: "GET", key: nil, query: query))
            let document = try parse(
                response, operation: "ListMultipartUploads", expecting: "ListMultipartUploadsResult")
            for upload in document.all("Upload") {
                guard let key = upload["Key"], let id = upload["UploadId"] else {
                    throw invalid(response, "ListMultipartUploads", "an upload without Key or UploadId")
                }
                uploads.append(S3MultipartUpload(key: key, uploadID: id))
            }
            markers = nil
            if document["IsTruncated"] == "true", let key = document["NextKeyMarker"],
                let id = document["NextUploadIdMarker"]
            {
                markers = (key, id)
            }
        } while markers != nil
        return uploads
    }

    /// Like `parse(_:operation:expecting:)`, but an `<Error>` document in a 200 answer is the error
    /// it reports, and an empty body is no document.
    func parse(_ response: HTTPResponse, operation: String, expecting root: String, orError: Bool)
        throws(S3Error) -> S3XMLElement?
    {
        if response.body.isEmpty { return nil }
        if let document = try? S3XML.parse(response.body), document.name == "Error" {
            let failure = S3Error(
                code: .rejected, operation: operation, bucket: configuration.bucket, key: nil,
                status: response.status, s3Code: document["Code"], message: document["Message"],
                requestID: document["RequestId"] ?? response.header("x-amz-request-id"))
            throw failure
        }
        return try parse(response, operation: operation, expecting: root)
    }
}
