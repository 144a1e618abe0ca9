import Foundation
import LiteSafeCore
import ObjectStore
import S3
import TestSupport

/// An S3 store on the moto server the tests share, under a prefix of its own, with the ways to
/// damage it that a crash or a stranger has (plain PUTs and DELETEs beside the store).
final class S3StoreSubject: StoreContractSubject {
    let server: MotoServer
    let location: S3Location
    let options: S3Store.Options
    let store: any BackupStore

    /// A subject on the shared server, reached at `endpoint` if given (a proxy in front of it).
    init(options: S3Store.Options = S3Store.Options(), secret: String? = nil, endpoint: String? = nil) throws {
        server = try MotoServer.shared()
        location = S3Location(
            bucket: server.bucket, prefix: MotoServer.uniquePrefix(), region: server.region,
            endpoint: endpoint ?? server.endpoint,
            pathStyle: true)
        self.options = options
        store = S3Store(location, environment: Self.environment(server, secret: secret), options: options)
    }

    static func environment(_ server: MotoServer, secret: String? = nil) -> [String: String] {
        ["AWS_ACCESS_KEY_ID": server.accessKeyID, "AWS_SECRET_ACCESS_KEY": secret ?? server.secretAccessKey]
    }

    var s3Store: S3Store { store as! S3Store }
    var client: S3Client { get throws { try s3Store.client() } }

    func sameLocation() -> any BackupStore {
        S3Store(location, environment: Self.environment(server), options: options)
    }

    func key(_ database: String, _ name: String) -> String { location.prefix + database + "/" + name }

    func overwriteManifest(of backup: StoredBackup, with bytes: [UInt8]) throws {
        try client.put(key: key(backup.id.database, backup.id.stem + BackupName.manifestSuffix), bytes: bytes)
    }

    func leaveData(_ bytes: [UInt8], named name: String, database: String, interrupted: Bool) throws {
        try client.put(key: key(database, name), bytes: bytes)
        if interrupted, let stem = BackupName.stem(ofDataFile: name) {
            try client.put(key: key(database, S3Store.intentPrefix + stem), bytes: [])
        }
    }

    func interruptDelete(of backup: StoredBackup) throws {
        let (database, stem) = (backup.id.database, backup.id.stem)
        try client.put(key: key(database, S3Store.intentPrefix + stem), bytes: [])
        try client.delete(key: key(database, stem + BackupName.manifestSuffix))
    }
}
