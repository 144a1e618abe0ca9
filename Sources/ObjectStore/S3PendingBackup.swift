import LiteSafeCore
import S3

/// A backup being uploaded: up to one part size it is held and sent in one PUT at `commit`;
/// beyond, it goes up as a multipart upload while it is written (one part in memory at a time),
/// completed at `commit` and aborted on failure or `abandon`.
///
/// `commit` writes, in order: the intent object, the data (`If-None-Match: *`), a HEAD that
/// confirms its size, the manifest (`If-None-Match: *`), and removes the intent object.
final class S3PendingBackup: PendingBackup {
    private let store: S3Store
    private let client: S3Client
    private let database: String
    private let stem: String
    private let dataKey: String
    private var buffer: [UInt8] = []
    private var uploadID: String?
    private var parts: [S3UploadedPart] = []
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
        buffer += bytes
        size += Int64(bytes.count)
        let partSize = store.options.partSize
        // Past one part (not at it): a backup of exactly one part size still goes in one PUT.
        while buffer.count > partSize {
            try uploadPart(Array(buffer[0..<partSize]))
            buffer.removeFirst(partSize)
        }
    }

    private func uploadPart(_ bytes: [UInt8]) throws {
        do {
            if uploadID == nil { uploadID = try client.createMultipartUpload(key: dataKey) }
            parts.append(
                try client.uploadPart(key: dataKey, uploadID: uploadID!, number: parts.count + 1, bytes: bytes))
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
        do {
            if let uploadID {
                if !buffer.isEmpty { try uploadPart(buffer) }
                buffer = []
                try client.completeMultipartUpload(key: dataKey, uploadID: uploadID, parts: parts, ifNoneMatch: true)
                self.uploadID = nil
            } else {
                try client.put(key: dataKey, bytes: buffer, ifNoneMatch: true)
                buffer = []
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
        let stored = try client.head(key: dataKey)
        guard let stored, stored.size == size else {
            try? client.delete(key: dataKey)
            try? client.delete(key: intent)
            throw S3StoreError.sizeMismatch(
                location: store.display(database, fileName), sent: size, stored: stored?.size ?? 0)
        }
        let manifestName = stem + BackupName.manifestSuffix
        do {
            try client.put(
                key: folder + manifestName, bytes: manifest.encoded(), ifNoneMatch: true,
                contentType: "application/json")
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

    private func abortUpload() {
        if let uploadID { try? client.abortMultipartUpload(key: dataKey, uploadID: uploadID) }
        uploadID = nil
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
