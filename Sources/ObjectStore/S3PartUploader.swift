import Foundation
import S3

/// The parts of one multipart upload, sent a few at a time on threads of their own while the
/// next part fills.
///
/// `submit` blocks while `maximumInFlight` parts are on their way, so at most that many parts
/// plus the one being filled are in memory, whatever the backup's size. The first failure is
/// kept: later submissions and `finish` throw it, and no further part is started.
final class S3PartUploader: @unchecked Sendable {
    // @unchecked: `inFlight`, `parts` and `failure` are only touched under `condition`.
    private let client: S3Client
    private let key: String
    let uploadID: String
    private let maximumInFlight: Int
    private let condition = NSCondition()
    private var inFlight = 0
    private var parts: [S3UploadedPart] = []
    private var failure: (any Error)?

    init(client: S3Client, key: String, uploadID: String, maximumInFlight: Int) {
        self.client = client
        self.key = key
        self.uploadID = uploadID
        self.maximumInFlight = max(1, maximumInFlight)
    }

    /// Starts uploading part `number` once fewer than `maximumInFlight` parts are in flight;
    /// throws the failure of an earlier part instead.
    func submit(number: Int, bytes: [UInt8]) throws {
        condition.lock()
        while inFlight >= maximumInFlight && failure == nil { condition.wait() }
        if let failure {
            condition.unlock()
            throw failure
        }
        inFlight += 1
        condition.unlock()
        let thread = Thread { [self] in
            let result = Result { () throws(S3Error) -> S3UploadedPart in
                try client.uploadPart(key: key, uploadID: uploadID, number: number, bytes: bytes)
            }
            condition.lock()
            switch result {
            case .success(let part): parts.append(part)
            case .failure(let error): if failure == nil { failure = error }
            }
            inFlight -= 1
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "litesafe-s3-part"
        thread.start()
    }

    /// Waits until no part is in flight; returns the parts in order, or throws the first failure.
    func finish() throws -> [S3UploadedPart] {
        condition.lock()
        defer { condition.unlock() }
        while inFlight > 0 { condition.wait() }
        if let failure { throw failure }
        return parts.sorted { $0.number < $1.number }
    }

    /// Waits until no part is in flight (their answers are not wanted any more).
    func drain() {
        condition.lock()
        while inFlight > 0 { condition.wait() }
        condition.unlock()
    }
}
