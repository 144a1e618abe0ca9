import Crypto
import Foundation

/// A small round trip through a store, step by step as a backup, a list, a restore and a prune
/// use it: check the store's settings, lock, clean up, write a test backup (data, then manifest), list it, read it back,
/// delete it, and list again.
///
/// It works under its own database name, `litesafe-check-store`, so it never touches real
/// backups (`litesafe check-store` refuses a configuration with a database of that name; a
/// folder store keeps an empty folder of that name, which it removes). A failure names the
/// step and keeps the store's error (an S3 error code and request id, a DNS, TLS or connection
/// error, `RequestTimeTooSkewed`, a file-system error) as it came.
public struct StoreCheck: Sendable {
    /// The database name the check writes under.
    public static let database = "litesafe-check-store"
    /// The size of the test backup: small, but more than one write.
    static let size = 48 << 10

    /// One step of the round trip.
    public enum Step: String, Sendable, CaseIterable {
        case settings = "check the store's settings"
        case lock = "take the lock"
        case cleanUp = "remove what an earlier check left"
        case write = "write a test backup"
        case list = "list the test backup"
        case read = "read the test backup back"
        case delete = "delete the test backup"
    }

    /// The step that failed, on which store, and why.
    public struct Failure: Error, CustomStringConvertible {
        public let step: Step
        /// Where the store is, as messages name it.
        public let location: String
        /// What the store said; kept as it came for the edge's advice.
        public let cause: any Error

        public var description: String { "\(location): could not \(step.rawValue): \(cause)" }
    }

    /// What went right.
    public struct Report: Sendable {
        public let location: String
        public let bytes: Int
        public let duration: Duration
        /// What the store said of its settings (`BackupStore.checkSettings`), a line each.
        public let notes: [String]
    }

    /// When the test backup is stamped (injected so tests can pin it).
    public var now: @Sendable () -> Date = { Date() }

    public init() {}

    /// Runs the round trip against `store`; a test backup it wrote is deleted even when a later
    /// step fails.
    public func run(_ store: any BackupStore) throws(Failure) -> Report {
        let clock = ContinuousClock()
        let started = clock.now
        let database = Self.database
        let location = store.location(of: database)
        func step<T>(_ step: Step, _ body: () throws -> T) throws(Failure) -> T {
            do {
                return try body()
            } catch {
                throw Failure(step: step, location: location, cause: error)
            }
        }

        let notes = try step(.settings) { try store.checkSettings() }
        let lock = try step(.lock) { try store.lock(database: database) }
        defer { lock.release() }
        _ = try step(.cleanUp) { try store.removeLeftovers(database: database) }

        var bytes = [UInt8](repeating: 0, count: Self.size)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let digest = SHA256.hash(data: bytes).hexString
        let created = BackupName.truncatedToMicroseconds(now())
        let stored = try step(.write) { () throws -> StoredBackup in
            var collision = 0
            while try store.isTaken(
                stem: BackupName.stem(database: database, date: created, collision: collision), database: database)
            {
                collision += 1
            }
            let pending = try store.beginBackup(
                database: database, stem: BackupName.stem(database: database, date: created, collision: collision),
                dataExtension: ".sqlite")
            do {
                // Two writes, as a real backup makes many.
                let half = bytes.count / 2
                try bytes[..<half].withUnsafeBytes { try pending.write($0) }
                try bytes[half...].withUnsafeBytes { try pending.write($0) }
                let manifest = Manifest(
                    database: database, sourcePath: "/" + database, created: created, file: pending.fileName,
                    sqliteVersion: "", pageSize: 0, pageCount: 0, walMode: false, plaintextSize: Int64(bytes.count),
                    plaintextSHA256: digest, storedSize: Int64(bytes.count), storedSHA256: digest,
                    compression: "none", encryption: "none", recipients: [], check: "none",
                    litesafeVersion: LiteSafeVersion.current)
                return try pending.commit(manifest: manifest)
            } catch {
                pending.abandon()
                throw error
            }
        }
        var deleted = false
        defer { if !deleted { try? store.delete(stored) } }

        try step(.list) {
            guard try store.backups(of: database).contains(where: { $0.id == stored.id }) else {
                throw Mismatch(what: "the listing does not show \(stored.manifestLocation), which was just written")
            }
        }
        try step(.read) {
            var hash = SHA256()
            var count = 0
            try store.read(stored) { chunk in
                hash.update(bufferPointer: chunk)
                count += chunk.count
            }
            guard count == bytes.count, hash.finalize().hexString == digest else {
                throw Mismatch(what: "read back \(count) bytes that differ from the \(bytes.count) written")
            }
        }
        try step(.delete) {
            try store.delete(stored)
            deleted = true
            guard try !store.backups(of: database).contains(where: { $0.id == stored.id }) else {
                throw Mismatch(what: "the listing still shows \(stored.manifestLocation) after its deletion")
            }
        }
        return Report(location: location, bytes: bytes.count, duration: clock.now - started, notes: notes)
    }

    /// The store answered, but not what was written.
    struct Mismatch: Error, CustomStringConvertible {
        let what: String
        var description: String { what }
    }
}
