import HTTP

/// A request to a bucket that failed: S3 answered with an error, or no answer came.
///
/// It names the operation, the bucket and key, S3's error code and request id (what a provider's
/// support asks for), and keeps the transport error; it never holds a credential: S3's error
/// documents are read for their code, message and request id only (a `SignatureDoesNotMatch`
/// document carries the string to sign, which is left out).
public struct S3Error: Error, Sendable, CustomStringConvertible {
    /// What callers decide on.
    public enum Code: String, Sendable {
        /// S3 refused the credentials or the signature (`SignatureDoesNotMatch`, `InvalidAccessKeyId`,
        /// `AccessDenied`, `ExpiredToken`, `RequestTimeTooSkewed`, …).
        case credentialsRejected = "credentials-rejected"
        /// The bucket does not exist (`NoSuchBucket`).
        case noSuchBucket = "no-such-bucket"
        /// The object does not exist (`NoSuchKey`, a 404).
        case noSuchKey = "no-such-key"
        /// A conditional request's condition failed (412): with `If-None-Match: *` the name is taken.
        case preconditionFailed = "precondition-failed"
        /// The bucket is in another region than the one configured (`AuthorizationHeaderMalformed`,
        /// `PermanentRedirect`, a 301).
        case wrongRegion = "wrong-region"
        /// S3 refused an object's retention headers because the bucket has no Object Lock
        /// (`InvalidRequest`: "Bucket is missing Object Lock Configuration").
        case objectLockNotEnabled = "object-lock-not-enabled"
        /// Any other error answer of S3 (`code` holds S3's own error code).
        case rejected
        /// No answer, after the retries (DNS, TLS, refused, timeouts, dropped connections): `underlying`.
        case unreachable
        /// The client's cancellation stopped the request (a stop): nothing more was tried.
        case cancelled
        /// An answer that is not what S3 sends (unparsable XML, a missing field, a wrong size).
        case invalidResponse = "invalid-response"
    }

    public var code: Code
    /// The S3 operation (`PutObject`, `ListObjectsV2`, …).
    public var operation: String
    public var bucket: String
    public var key: String?
    /// The HTTP status, when there was an answer.
    public var status: Int?
    /// S3's error code (`SignatureDoesNotMatch`), when the answer had one.
    public var s3Code: String?
    /// S3's message, when the answer had one.
    public var message: String?
    /// `x-amz-request-id` (and `x-amz-id-2`), for a provider's support.
    public var requestID: String?
    /// How many requests were made before giving up.
    public var attempts: Int
    /// Where the credentials came from, for the advice on a rejection ("/etc/litesafe/s3.credentials").
    public var credentialsSource: String?
    public var underlying: HTTPError?

    public init(
        code: Code, operation: String, bucket: String, key: String?, status: Int? = nil, s3Code: String? = nil,
        message: String? = nil, requestID: String? = nil, attempts: Int = 1, credentialsSource: String? = nil,
        underlying: HTTPError? = nil
    ) {
        self.code = code
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.status = status
        self.s3Code = s3Code
        self.message = message
        self.requestID = requestID
        self.attempts = attempts
        self.credentialsSource = credentialsSource
        self.underlying = underlying
    }

    public var description: String {
        let subject = "bucket \(bucket)" + (key.map { ", object \($0)" } ?? "")
        var answer = [s3Code, status.map { "HTTP \($0)" }].compactMap { $0 }.joined(separator: ", ")
        if let message, !message.isEmpty { answer += ": " + message }
        if let requestID { answer += " (request id \(requestID))" }
        let tries = attempts > 1 ? " after \(attempts) attempts" : ""
        switch code {
        case .credentialsRejected where s3Code == "AccessDenied":
            // Signed well by a known key, but not allowed: the policy, not the secret, is at fault.
            return "S3 denied \(operation) on \(subject): \(answer); the credentials in"
                + " \(credentialsSource ?? "the credentials") are not allowed to do this: check the bucket's and the"
                + " user's policy"
        case .credentialsRejected where s3Code == "RequestTimeTooSkewed":
            // The keys are fine: the signature's time is more than 15 minutes from S3's.
            return "S3 refused \(operation) on \(subject): \(answer); this machine's clock is more than 15 minutes"
                + " from S3's: set it right (`timedatectl`, an NTP service), then try again"
        case .credentialsRejected:
            return "S3 rejected the credentials for \(subject) (\(operation)): \(answer)"
                + "; check the access key and secret key in \(credentialsSource ?? "the credentials")"
        case .noSuchBucket:
            return "S3 has no bucket \(bucket) (\(operation)): \(answer); check the bucket name and the endpoint"
        case .wrongRegion:
            return "S3 says \(subject) is not in the configured region (\(operation)): \(answer); set the store's"
                + " region (`region:` in the configuration, or --region) to the bucket's (`aws s3api get-bucket-location"
                + " --bucket \(bucket)` names it)"
        case .objectLockNotEnabled:
            return "S3 refused \(operation) on \(subject) with a retention period: \(answer); the bucket does not have"
                + " Object Lock enabled: create the bucket with Object Lock enabled, or remove object_lock from the store"
        case .unreachable:
            let advice =
                underlying?.code == .tlsFailure
                ? "; if the endpoint's certificate is signed by a private CA, name that CA's PEM file in the store's ca_file"
                : ""
            return "S3 \(operation) on \(subject) got no answer\(tries): \(underlying.map { "\($0)" } ?? "unknown")"
                + advice
        case .cancelled:
            return "S3 \(operation) on \(subject) was cancelled"
        case .invalidResponse:
            return "S3 \(operation) on \(subject) gave an unexpected answer: \(message ?? "")"
                + (requestID.map { " (request id \($0))" } ?? "")
        case .noSuchKey, .preconditionFailed, .rejected:
            return "S3 \(operation) on \(subject) failed\(tries): \(answer)"
        }
    }
}
