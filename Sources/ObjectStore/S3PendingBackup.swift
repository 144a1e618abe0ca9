import Foundation
import LiteSafeCore
import S3

/// A backup being uploaded: up to one part size it is held and sent in one PUT at `commit`;
/// beyond, it goes up as a multipart upload while it is written, a few parts in flight at once
/// (`S3PartUploader`: memory stays within `Options.partsInFlight + 1` parts), completed at
/// `commit` and aborted on failure or `abandon`.
///
/// `commit` writes, in order: the intent object, the data (`If-None-Match: *`), a HEAD that
/// confirms its size and checksum, the manifest (`If-None-Match: *`), and removes the intent
/// object. Every PUT and part carries `Content-MD5` and `x-amz-checksum-sha256`; the HEAD
/// compares the object's SHA-256 checksum (a multipart upload's composite) when the service
/// keeps one, else its ETag when that is an MD5, with what was computed here before sending,
/// so a body damaged on the way by a service that checks neither is caught without reading the
/// object back. The data (its PUT, or its CreateMultipartUpload) and the manifest carry the
/// store's storage class and Object Lock retention (`S3Store.writeSettings`); the intent object
/// carries neither.
final class S3PendingBackup: PendingBackup {
    private let store: S3Store
    private let client: S3Client
    private let database: String
    private let stem: String
    private let dataKey: String
    private var buffer: [UInt8] = []
    private var uploader: S3PartUploader?
    private var partsSubmitted = 0
    private var size: Int64 = 0
    private var finished = false

    let fileName: String

    init(store: S3Store, client: S3Client, database: String, stem: String, dataExtension: String) {
        self.store = store
        self.client = client
        self.database = database
        self.stem = stem
        fileName = stem + dataExtension
        dataKey = store.folder(database) + fileName
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "write after commit or abandon")
        size += Int64(bytes.count)
        var rest = bytes[...]
        while !rest.isEmpty {
            var partSize = store.options.partSize(number: partsSubmitted + 1)
            // A full part goes up only when more bytes follow: a backup of exactly one part
            // size still goes in one PUT.
            if buffer.count == partSize {
                // Handed over whole, not copied: the next part fills a buffer of its own.
                try uploadPart(buffer)
                buffer = []
                partSize = store.options.partSize(number: partsSubmitted + 1)
            }
            if buffer.capacity < partSize { buffer.reserveCapacity(partSize) }
            let taken = min(partSize - buffer.count, rest.count)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest.prefix(taken)))
            rest = rest.dropFirst(taken)
        }
    }

    private func uploadPart(_ bytes: [UInt8]) throws {
        do {
            if uploader == nil {
                uploader = S3PartUploader(
                    client: client, key: dataKey,
                    uploadID: try client.createMultipartUpload(
                        key: dataKey, settings: store.writeSettings(for: database)),
                    maximumInFlight: store.options.partsInFlight)
            }
            partsSubmitted += 1
            try uploader!.submit(number: partsSubmitted, bytes: bytes)
        } catch {
            abortUpload()
            throw error
        }
    }

    func commit(manifest: Manifest) throws -> StoredBackup {
        precondition(!finished, "commit after commit or abandon")
        finished = true
        let folder = store.folder(database)
        let intent = folder + S3Store.intentPrefix + stem
        try client.put(key: intent, bytes: [])
        let expected: (etag: String, checksum: String)
        do {
            if let uploader {
                if !buffer.isEmpty { try uploadPart(buffer) }
                buffer = []
                let parts = try uploader.finish()
                try client.completeMultipartUpload(
                    key: dataKey, uploadID: uploader.uploadID, parts: parts, ifNoneMatch: true)
                self.uploader = nil
                expected = (S3Client.expectedMultipartETag(parts), S3Client.compositeChecksum(parts))
            } else {
                let digests = S3Digests(of: buffer)
                try client.put(
                    key: dataKey, bytes: buffer, ifNoneMatch: true, settings: store.writeSettings(for: database))
                buffer = []
                expected = (
                    "\"" + SigV4Signer.hex(digests.md5) + "\"",
                    Data(digests.sha256).base64EncodedString()
                )
            }
        } catch let error as S3Error where error.code == .preconditionFailed {
            // Someone else's object is under the name: ours never got there.
            abortUpload()
            try? client.delete(key: intent)
            throw S3StoreError.nameTaken(location: store.display(database, fileName))
        } catch {
            // The data may or may not be there: the intent object stays, so a cleanup removes it.
            abortUpload()
            throw error
        }
        let stored = try client.head(key: dataKey, checksums: true)
        let location = store.display(database, fileName)
        guard let stored, stored.size == size else {
            if (try? client.delete(key: dataKey)) != nil { try? client.delete(key: intent) }
            throw S3StoreError.sizeMismatch(location: location, sent: size, stored: stored?.size ?? 0)
        }
        if let mismatch = Self.mismatch(stored, expected: expected) {
            // Stored, but not the bytes sent: it must never be listed (without a manifest it is
            // not; if the delete fails, the intent object stays for the next cleanup).
            if (try? client.delete(key: dataKey)) != nil { try? client.delete(key: intent) }
            throw S3StoreError.checksumMismatch(location: location, detail: mismatch)
        }
        let manifestName = stem + BackupName.manifestSuffix
        do {
            try client.put(
                key: folder + manifestName, bytes: manifest.encoded(), ifNoneMatch: true,
                contentType: "application/json", settings: store.writeSettings(for: database))
        } catch {
            // Without its manifest the data object is not a backup; don't leave it to look like one.
            // Unless the manifest may have been stored after all (no answer): then the intent
            // object stays and a cleanup decides from what is there.
            let clash = (error as? S3Error)?.code == .preconditionFailed
            if clash || (try? client.head(key: folder + manifestName)) == .some(nil) {
                if (try? client.delete(key: dataKey)) != nil { try? client.delete(key: intent) }
            }
            if clash { throw S3StoreError.nameTaken(location: store.display(database, manifestName)) }
            throw error
        }
        try? client.delete(key: intent)
        return StoredBackup(
            id: BackupID(database: database, stem: stem), manifest: manifest,
            dataLocation: store.display(database, fileName), manifestLocation: store.display(database, manifestName))
    }

    func abandon() {
        finished = true
        buffer = []
        abortUpload()
    }

    /// Aborts the multipart upload once no part of it is in flight any more (a part arriving
    /// after the abort would be billed until the next cleanup); if the abort fails, `abandon`
    /// and deinit try again, and failing that the next run's cleanup does.
    private func abortUpload() {
        guard let uploader else { return }
        uploader.drain()
        if (try? client.abortMultipartUpload(key: dataKey, uploadID: uploader.uploadID)) != nil {
            self.uploader = nil
        }
    }

    /// Why the object `head` describes is not the one sent, if it is not: its SHA-256 checksum
    /// when the service returned one, else its ETag when that is an MD5 (not with SSE-KMS).
    static func mismatch(_ head: S3ObjectHead, expected: (etag: String, checksum: String)) -> String? {
        if let checksum = head.checksumSHA256 {
            // A composite may come with its part count (`…=-3`, AWS) or without (moto); base64 has no `-`.
            return checksum.split(separator: "-").first == expected.checksum.split(separator: "-").first
                ? nil : "its SHA-256 checksum is \(checksum), but the bytes sent have \(expected.checksum)"
        }
        let etag = head.etag.lowercased()
        let hex = etag.trimmingCharacters(in: ["\""]).split(separator: "-").first ?? ""
        guard hex.count == 32, hex.allSatisfy(\.isHexDigit) else { return nil }
        return etag == expected.etag ? nil : "its ETag is \(head.etag), but the bytes sent make \(expected.etag)"
    }

    deinit { abortUpload() }
}

/// A GetObject streamed to a reader, asked again from where it broke off when the connection
/// drops (`Range`, `If-Match` the ETag the HEAD saw, so a replaced object is never spliced in).
struct S3Download {
    let client: S3Client
    let key: String

    func run(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let head = try client.head(key: key) else {
            throw S3Error(
                code: .noSuchKey, operation: "GetObject", bucket: client.configuration.bucket, key: key,
                message: "the object is gone")
        }
        var delivered: Int64 = 0
        var attempt = 1
        var readerError: (any Error)? = nil
        while true {
            do {
                try withoutActuallyEscaping(body) { body in
                    _ = try client.get(key: key, offset: delivered, etag: head.etag) { bytes in
                        do {
                            try body(bytes)
                        } catch {
                            readerError = error
                            throw error
                        }
                        delivered += Int64(bytes.count)
                    }
                }
                guard delivered == head.size else {
                    throw S3Error(
                        code: .invalidResponse, operation: "GetObject", bucket: client.configuration.bucket, key: key,
                        message: "got \(delivered) of \(head.size) bytes")
                }
                return
            } catch {
                if let readerError { throw readerError }
                guard let failure = error as? S3Error, S3Client.isRetryable(failure),
                    attempt < client.configuration.retry.attempts
                else { throw error }
                attempt += 1
                client.sleep(client.configuration.retry.delay(before: attempt))
            }
        }
    }
}
