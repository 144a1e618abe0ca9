import Foundation
import HTTP
import LiteSafeCore
import S3

/// Backups as objects in a bucket of an S3-compatible service, named as `DirectoryStore` names
/// its files: `<prefix><database>/<stem>.sqlite…` (data) and `<stem>.manifest.json` (manifest).
///
/// Data first, manifest last, both with `If-None-Match: *` so nothing is ever overwritten; the
/// manifest is the commit record. Beside them, `<database>/.litesafe-intent.<stem>` records a
/// backup or delete in progress (a data object it names without a manifest is ours to remove),
/// and `<database>/.lock` is the per-database lease (`S3Lease`). With `object_lock` the data and
/// manifest are written under Object Lock retention, and `delete` keeps what is still locked.
public struct S3Store: BackupStore {
    /// What can be tuned, mostly for tests.
    public struct Options: Sendable {
        /// Backups up to this size go up in one PUT; larger ones in parts of this size
        /// (at least S3's 5 MiB).
        public var partSize: Int
        /// How many parts are uploaded at once (at least 1); memory holds this many parts plus
        /// the one being filled.
        public var partsInFlight: Int
        /// Keys per ListObjectsV2 page (S3's maximum is 1000).
        public var pageSize: Int
        /// How long a lock lasts without renewal; a holder renews it every third of that.
        public var leaseDuration: Duration
        public var retry: S3Client.RetryPolicy
        /// What stops the store's requests under way (a daemon's stop); nil: nothing does.
        public var cancellation: HTTPCancellation?

        public init(
            partSize: Int = 5 << 20, partsInFlight: Int = 2, pageSize: Int = 1000,
            leaseDuration: Duration = .seconds(600), retry: S3Client.RetryPolicy = S3Client.RetryPolicy(),
            cancellation: HTTPCancellation? = nil
        ) {
            self.cancellation = cancellation
            self.partSize = max(partSize, S3Client.minimumPartSize)
            self.partsInFlight = max(1, partsInFlight)
            self.pageSize = pageSize
            self.leaseDuration = leaseDuration
            self.retry = retry
        }

        /// The size of part `number`: `partSize` for the first 9,000 parts (45 GiB at 5 MiB),
        /// then doubling every 100 parts (5 GiB at most), so S3's 10,000 parts hold over 1.3 TiB
        /// (memory grows with the part size only past the first 72 GiB).
        public func partSize(number: Int) -> Int {
            guard number > 9_000 else { return partSize }
            return min(partSize << min(10, (number - 9_001) / 100 + 1), 5 << 30)
        }
    }

    public let bucket: S3Location
    public let options: Options
    private let madeClient: Result<S3Client, S3StoreError>

    /// What an empty object recording a backup or delete in progress is called, followed by the
    /// backup's stem (as `DirectoryStore.intentPrefix`).
    public static let intentPrefix = DirectoryStore.intentPrefix
    /// The lease object's name in a database's folder.
    public static let leaseName = ".lock"

    /// A store over `bucket`, credentials read from its file or `environment`; a store whose
    /// credentials cannot be read fails every operation with the reason.
    public init(
        _ bucket: S3Location, environment: [String: String] = ProcessInfo.processInfo.environment,
        options: Options = Options()
    ) {
        self.bucket = bucket
        self.options = options
        madeClient = Result { () throws(S3StoreError) -> S3Client in
            let (credentials, source) = try S3CredentialsFile.load(bucket.credentialsFile, environment: environment)
            let endpoint = bucket.endpoint ?? "https://s3.\(bucket.region).amazonaws.com"
            do {
                return try S3Client(
                    S3Client.Configuration(
                        bucket: bucket.bucket, region: bucket.region, endpoint: endpoint, pathStyle: bucket.pathStyle,
                        credentials: credentials, credentialsSource: source, retry: options.retry,
                        http: HTTPClient.Configuration(extraCAFile: bucket.caFile), cancellation: options.cancellation))
            } catch {
                throw .configuration(location: bucket.description, reason: (error as? S3Error)?.message ?? "\(error)")
            }
        }
    }

    /// The client, or why there is none.
    public func client() throws -> S3Client { try madeClient.get() }

    public var location: String { bucket.description }

    /// The commit's HEAD compares the size and the service's SHA-256 (or MD5 ETag) with digests
    /// computed before sending: the engine need not download a new backup again.
    public var confirmsStoredBytes: Bool { true }
    /// The parts in flight and the one filling.
    public var pendingBufferBytes: Int { options.partSize * (options.partsInFlight + 1) }

    public func location(of database: String) -> String { bucket.description + database }

    /// The key prefix of `database`'s objects.
    func folder(_ database: String) -> String { bucket.prefix + database + "/" }

    /// How messages name an object of `database`.
    func display(_ database: String, _ name: String) -> String { location(of: database) + "/" + name }

    public func databases() throws -> [String] {
        try client().listFolders(prefix: bucket.prefix, pageSize: options.pageSize)
            .map { String($0.dropFirst(bucket.prefix.count).dropLast()) }
            .filter { !$0.hasPrefix(".") && DatabaseName.isValid($0) }
            .sorted()
    }

    /// The objects right in `database`'s folder, by name, with their sizes.
    func objects(of database: String) throws -> [String: Int64] {
        let folder = folder(database)
        var names: [String: Int64] = [:]
        for object in try client().listAll(prefix: folder, pageSize: options.pageSize) {
            let name = String(object.key.dropFirst(folder.count))
            if !name.isEmpty, !name.contains("/") { names[name] = object.size }
        }
        return names
    }

    public func listing(of database: String) throws -> StoreListing {
        try DatabaseName.validate(database)
        let client = try client()
        let objects = try objects(of: database)
        var listing = StoreListing()
        for name in objects.keys.sorted() where name.hasSuffix(BackupName.manifestSuffix) && !name.hasPrefix(".") {
            let location = display(database, name)
            func damaged(_ reason: String, cause: (any Error)? = nil) {
                listing.damaged.append(DamagedManifest(location: location, reason: reason, cause: cause))
            }
            if (objects[name] ?? 0) > Manifest.maximumSize {
                // Refused unread: a writer of the bucket could otherwise make a listing hold gigabytes.
                damaged("it is larger than the \(Manifest.maximumSize) bytes a manifest may have")
                continue
            }
            guard let (bytes, _) = try client.getSmall(key: folder(database) + name, limit: Manifest.maximumSize) else {
                continue  // pruned since the folder was listed
            }
            let manifest: Manifest
            do {
                manifest = try Manifest.decode(bytes, path: location)
            } catch let error as BackupError where error.code == .unreadableManifest {
                damaged(error.reason ?? error.message, cause: error.cause)
                continue
            } catch {
                damaged("\(error)", cause: error)
                continue
            }
            let stem = String(name.dropLast(BackupName.manifestSuffix.count))
            guard BackupName.isDataFile(manifest.file, of: database, stem: stem) else {
                damaged(
                    "it names the file '\(manifest.file.escapingControlCharacters)', which is not a backup of '\(database)' named after the manifest (\(stem.escapingControlCharacters).sqlite…)"
                )
                continue
            }
            guard let size = objects[manifest.file] else {
                damaged("its data object \(manifest.file.escapingControlCharacters) is missing")
                continue
            }
            guard size == manifest.storedSize else {
                damaged("its data object is \(size) bytes, but the manifest says \(manifest.storedSize)")
                continue
            }
            listing.backups.append(
                StoredBackup(
                    id: BackupID(database: database, stem: stem), manifest: manifest,
                    dataLocation: display(database, manifest.file), manifestLocation: location))
        }
        listing.backups.sort { ($0.manifest.created, $0.id.stem) > ($1.manifest.created, $1.id.stem) }
        return listing
    }

    public func isTaken(stem: String, database: String) throws -> Bool {
        try DatabaseName.validate(database)
        // Two HEADs, not a LIST before every backup: a backup has its manifest, and data a run
        // left without one has its intent object (written before the data, removed after the
        // manifest). A stranger's object of that very stem still stops the data PUT
        // (`If-None-Match: *`), which fails that store's backup rather than overwrite it.
        let client = try client()
        let folder = folder(database)
        return try client.head(key: folder + stem + BackupName.manifestSuffix) != nil
            || client.head(key: folder + Self.intentPrefix + stem) != nil
    }

    public func beginBackup(database: String, stem: String, dataExtension: String) throws -> any PendingBackup {
        try DatabaseName.validate(database)
        return S3PendingBackup(
            store: self, client: try client(), database: database, stem: stem, dataExtension: dataExtension)
    }

    public func read(_ backup: StoredBackup, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let file = try BackupName.dataFile(of: backup, manifestLocation: manifestLocation(of: backup))
        let database = backup.id.database
        try S3Download(client: client(), key: folder(database) + file).run(body)
    }

    /// How errors name `backup`'s manifest object.
    func manifestLocation(of backup: StoredBackup) -> String {
        display(backup.id.database, backup.id.stem + BackupName.manifestSuffix)
    }

    /// What a backup's data and manifest objects of `database` are written with: the configured
    /// storage class, and the configured Object Lock retention from `now` on.
    ///
    /// The lease and the intent objects get neither: they live for minutes, where a class such as
    /// `STANDARD_IA` bills 30 days and 128 KiB, and a lease under retention could not be released.
    /// `check-store`'s test backup is locked one day, not the configured period: it is written to
    /// prove the bucket takes the retention headers, and deleted right after (see `delete`).
    func writeSettings(for database: String, now: Date = Date()) -> S3WriteSettings {
        let retention = bucket.objectLock.map { lock in
            let days = database == StoreCheck.database ? 1 : lock.days
            return S3Retention(
                mode: lock.mode == .compliance ? .compliance : .governance,
                until: now.addingTimeInterval(TimeInterval(days) * 86_400))
        }
        return S3WriteSettings(storageClass: bucket.storageClass, retention: retention)
    }

    /// Deletes a backup's manifest, then its data; with `object_lock`, each object version for
    /// good, and a backup whose retention has not passed, or under a legal hold, not at all
    /// (`BackupLocked`).
    ///
    /// With Object Lock the bucket is versioned, and a plain DELETE only hides an object behind
    /// a delete marker: the backup would vanish from the listing while S3 kept (and billed) it.
    /// So each object is looked at first (HEAD: its version and retention) and, once no
    /// retention holds, that version is deleted. `check-store`'s test backup is the exception:
    /// its objects, locked for a day, are hidden with plain DELETEs, as a bucket without Object
    /// Lock would delete them.
    public func delete(_ backup: StoredBackup) throws {
        let database = backup.id.database
        let stem = backup.id.stem
        let manifestName = stem + BackupName.manifestSuffix
        // Only a manifest of this store naming one of this database's data objects, after its own
        // stem: a crafted manifest (`"file": ".lock"`) must not make a prune delete anything else.
        guard DatabaseName.isValid(database), BackupName.isPlainName(stem),
            BackupName.isDataFile(backup.manifest.file, of: database, stem: stem)
        else {
            throw BackupError.unreadableManifest(
                path: display(database, manifestName),
                reason:
                    "it names '\(backup.manifest.file.escapingControlCharacters)', which is not one of this store's backup files; nothing was deleted"
            )
        }
        let client = try client()
        let folder = folder(database)
        let intent = folder + Self.intentPrefix + stem
        guard bucket.objectLock != nil, database != StoreCheck.database else {
            try client.put(key: intent, bytes: [])
            try client.delete(key: folder + manifestName)
            try client.delete(key: folder + backup.manifest.file)
            try? client.delete(key: intent)
            return
        }
        let location = display(database, manifestName)
        let heads = try lockHeads(of: backup, client: client)
        let now = Date()
        if let locked = Self.locked(heads.map(\.1), location: location, now: now) { throw locked }
        try client.put(key: intent, bytes: [])
        for (key, head) in heads {
            guard let head else { continue }
            do {
                try client.delete(key: key, versionID: head.versionID)
            } catch {
                // S3's clock, not this machine's, decides: a retention that has not passed there (SigV4
                // lets the clocks differ by 15 minutes) is refused, as is a hold set since the HEAD.
                // Any other AccessDenied is the policy's (s3:DeleteObjectVersion) and reported as such.
                if error.s3Code == "AccessDenied" {
                    if let retention = head.retention, retention.until > now.addingTimeInterval(-15 * 60) {
                        throw BackupLocked(location: location, until: retention.until)
                    }
                    if let again = try? client.head(key: key), again.legalHold {
                        throw BackupLocked(location: location, until: nil)
                    }
                }
                throw error
            }
        }
        try? client.delete(key: intent)
    }

    public func lockedState(of backup: StoredBackup) throws -> BackupLocked? {
        guard bucket.objectLock != nil else { return nil }
        let heads = try lockHeads(of: backup, client: client())
        return Self.locked(heads.map(\.1), location: manifestLocation(of: backup), now: Date())
    }

    /// The HEADs of `backup`'s manifest and data objects (nil for one that is gone), by key.
    private func lockHeads(of backup: StoredBackup, client: S3Client) throws -> [(String, S3ObjectHead?)] {
        let file = try BackupName.dataFile(of: backup, manifestLocation: manifestLocation(of: backup))
        let folder = folder(backup.id.database)
        return try [folder + backup.id.stem + BackupName.manifestSuffix, folder + file].map { key in
            (key, try client.head(key: key))
        }
    }

    /// What keeps objects with these HEADs from deletion at `now`: a legal hold, else the latest
    /// retention not yet passed; nil if nothing does.
    static func locked(_ heads: [S3ObjectHead?], location: String, now: Date) -> BackupLocked? {
        if heads.contains(where: { $0?.legalHold ?? false }) { return BackupLocked(location: location, until: nil) }
        if let until = heads.compactMap({ $0?.retention?.until }).filter({ $0 > now }).max() {
            return BackupLocked(location: location, until: until)
        }
        return nil
    }

    /// Checks that the bucket can do what the store is configured to do, and says what it found:
    /// with `object_lock`, that the bucket has Object Lock enabled (else S3 refuses every backup).
    public func checkSettings() throws -> [String] {
        var notes: [String] = []
        if let lock = bucket.objectLock {
            guard let configuration = try client().objectLockConfiguration(), configuration.enabled else {
                throw S3StoreError.objectLockNotEnabled(location: bucket.description, bucket: bucket.bucket)
            }
            var note =
                "bucket \(bucket.bucket) has Object Lock enabled; backups are written locked (\(lock.mode.rawValue), \(lock.days) days)"
            if let mode = configuration.defaultMode {
                let period =
                    configuration.defaultDays.map { "\($0) days" } ?? configuration.defaultYears.map { "\($0) years" }
                note +=
                    "; the bucket's default retention (\(mode)\(period.map { ", " + $0 } ?? "")) locks the lease and intent objects too"
            }
            notes.append(note + "; the check's test backup stays in the bucket as a hidden version for a day")
        }
        if let storageClass = bucket.storageClass {
            notes.append("backups are written with storage class \(storageClass)")
        }
        if let caFile = bucket.caFile {
            notes.append("the endpoint's certificate is checked against \(caFile) besides the system's CAs")
        }
        return notes
    }

    public func lock(database: String) throws -> any StoreLock {
        try DatabaseName.validate(database)
        return try S3Lease(
            client: client(), key: folder(database) + Self.leaseName, database: database,
            location: display(database, Self.leaseName), duration: options.leaseDuration)
    }

    public func removeLeftovers(database: String) throws -> Leftovers {
        try DatabaseName.validate(database)
        let client = try client()
        let folder = folder(database)
        var leftovers = Leftovers()
        // Uploads a run cut short left unfinished: invisible, but billed until aborted.
        for upload in try client.listMultipartUploads(prefix: folder) {
            try client.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
            leftovers.removed.append(
                bucket.description + upload.key.dropFirst(bucket.prefix.count) + " (unfinished upload)")
        }
        let objects = try objects(of: database)
        // A data object an intent object names, whose manifest is not there (damaged or not): a
        // backup interrupted before its commit record, or a delete interrupted after removing it.
        let intents = objects.keys.filter { $0.hasPrefix(Self.intentPrefix) }.sorted()
        var handled = Set<String>()
        for intent in intents {
            let stem = String(intent.dropFirst(Self.intentPrefix.count))
            guard objects[stem + BackupName.manifestSuffix] == nil else { continue }
            for name in objects.keys.sorted() where BackupName.isDataFile(name, of: database, stem: stem) {
                try client.delete(key: folder + name)
                handled.insert(name)
                leftovers.removed.append(display(database, name))
            }
        }
        for name in objects.keys.sorted() where BackupName.isDataFile(name, of: database) && !handled.contains(name) {
            if let stem = BackupName.stem(ofDataFile: name), objects[stem + BackupName.manifestSuffix] == nil {
                leftovers.kept.append(display(database, name))
            }
        }
        // Only once the data is gone: an intent removed first could leave data nothing says is ours.
        for intent in intents { try client.delete(key: folder + intent) }
        return leftovers
    }
}
