import Foundation
import LiteSafeCore
import S3

/// The per-database lock of an S3 store: a lease object `<prefix><database>/.lock`.
///
/// Taking it is a PUT with `If-None-Match: *` of a small JSON document naming the holder and
/// when the lease expires (`{"holder": "host pid 1234 …", "expires": "2026-12-03T12:10:00Z",
/// "expires_epoch": 1796292600}`). If the object is there and its expiry has passed (by this
/// machine's clock), it is taken over with a PUT `If-Match` the ETag read, so of two takers only
/// one succeeds; if it has not passed, the database is busy. The holder renews the lease every
/// third of its duration (PUT `If-Match` its own ETag) and deletes it on release (DELETE
/// `If-Match` its own ETag, so a lease someone took over after it expired is left alone).
/// After every successful PUT the lease is read back and must name this holder: a server whose
/// conditional PUT is not atomic (moto) cannot hand it to two takers that way.
///
/// A holder that dies leaves the lease until it expires: a backup, prune or cleanup of that
/// database waits at most the lease duration (`lease_duration`, 10 minutes by default).
final class S3Lease: StoreLock {
    private let client: S3Client
    private let key: String
    private let holder: String
    private let duration: Duration
    /// Shared with the renewing thread, which must not keep the lease itself alive: a lease
    /// dropped without `release()` is released by its deinit.
    private let holding: Holding

    /// The lease's ETag and whether it was released, under `condition`.
    private final class Holding: @unchecked Sendable {
        // @unchecked: `etag` and `released` are only touched under `condition`.
        let condition = NSCondition()
        var etag: String
        var released = false

        init(etag: String) { self.etag = etag }
    }

    init(client: S3Client, key: String, database: String, location: String, duration: Duration) throws {
        self.client = client
        self.key = key
        self.duration = duration
        let holder = "\(ProcessInfo.processInfo.hostName) pid \(getpid()) \(UInt64.random(in: 0...UInt64.max))"
        self.holder = holder
        let busy = BackupError.alreadyRunning(database: database, lockPath: location)
        let etag = try Self.take(client: client, key: key, holder: holder, duration: duration, busy: busy)
        try Self.confirm(client: client, key: key, holder: holder, busy: busy)
        holding = Holding(etag: etag)
        let thread = Thread { [client, holding] in
            Self.renew(client: client, key: key, holder: holder, duration: duration, holding: holding)
        }
        thread.name = "litesafe-s3-lease"
        thread.start()
    }

    /// Puts a lease naming `holder` if there is none or the one there expired; returns its ETag.
    private static func take(
        client: S3Client, key: String, holder: String, duration: Duration, busy: any Error
    ) throws -> String {
        for _ in 0..<2 {
            // (Each catch takes every error and rethrows the others: a `catch … where` on a typed
            // throw crashes Swift 6.3's ownership verifier here.)
            do {
                return try client.put(
                    key: key, bytes: document(holder: holder, duration: duration), ifNoneMatch: true)
            } catch {
                guard error.code == .preconditionFailed else { throw error }  // else held, or expired: read on
            }
            // Gone again between the two requests: one more try, as a fresh taker.
            guard let (bytes, current) = try client.getSmall(key: key, limit: 64 << 10) else { continue }
            guard expiry(of: bytes).map({ $0 < Date() }) ?? false else { throw busy }
            do {
                return try client.put(key: key, bytes: document(holder: holder, duration: duration), ifMatch: current)
            } catch {
                guard error.code == .preconditionFailed || error.code == .noSuchKey else { throw error }
                throw busy
            }
        }
        throw busy
    }

    /// The lease as it is stored must name `holder`.
    private static func confirm(client: S3Client, key: String, holder: String, busy: any Error) throws {
        guard let (bytes, _) = try client.getSmall(key: key, limit: 64 << 10),
            let fields = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            fields["holder"] as? String == holder
        else { throw busy }
    }

    static func document(holder: String, duration: Duration) -> [UInt8] {
        let expires = Date().addingTimeInterval(TimeInterval(duration.components.seconds))
        let fields: [String: Any] = [
            "holder": holder, "expires": BackupName.iso8601Seconds(expires),
            "expires_epoch": Int(expires.timeIntervalSince1970),
        ]
        return Array((try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data())
    }

    /// When a lease document says it expires; nil if it says nothing readable (then it is
    /// somebody's, and never taken over).
    static func expiry(of bytes: [UInt8]) -> Date? {
        guard let fields = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let epoch = fields["expires_epoch"] as? Int
        else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(epoch))
    }

    /// Renews the lease every third of its duration until it is released.
    private static func renew(client: S3Client, key: String, holder: String, duration: Duration, holding: Holding) {
        let interval = TimeInterval(duration.components.seconds) / 3
        holding.condition.lock()
        defer { holding.condition.unlock() }
        while !holding.released {
            if holding.condition.wait(until: Date().addingTimeInterval(max(interval, 1))) { continue }
            if holding.released { break }
            // A failed renewal is tried again at the next interval; a lease taken over is lost.
            if let renewed = try? client.put(
                key: key, bytes: document(holder: holder, duration: duration), ifMatch: holding.etag)
            {
                holding.etag = renewed
            }
        }
    }

    func release() {
        holding.condition.lock()
        guard !holding.released else {
            holding.condition.unlock()
            return
        }
        holding.released = true
        let etag = holding.etag
        holding.condition.broadcast()
        holding.condition.unlock()
        try? client.delete(key: key, ifMatch: etag)
    }

    deinit { release() }
}
