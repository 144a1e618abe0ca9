import LiteSafeCore
import S3

/// A page store's objects in a bucket: `<prefix><database>/pages/<name>`, each written once in
/// one PUT with `If-None-Match: *` (a pack is at most a few MiB) and `Content-MD5`, so a pack is
/// whole or absent and never replaced; a 412 means an object of that name is there already.
struct S3PageObjects: PageObjects {
    let client: S3Client
    /// The key prefix of the page store: `<prefix><database>/pages/`.
    let prefix: String
    /// How messages name it (`s3://bucket/prefix/app/pages/`).
    let display: String
    let pageSize: Int

    /// The largest object read back: a pack is sealed at 8 MiB of compressed pages or 32 MiB of
    /// pages, whichever comes first.
    static let maximumObjectSize = 64 << 20

    func create(_ name: String, bytes: [UInt8]) throws -> Bool {
        let key = try self.key(name)
        do {
            try client.put(key: key, bytes: bytes, ifNoneMatch: true)
            return true
        } catch let error where error.code == .preconditionFailed {
            return false
        } catch {
            throw PageStoreError(.storeFailed, object: display + name, reason: "it could not be stored", cause: error)
        }
    }

    func read(_ name: String) throws -> [UInt8] {
        let key = try self.key(name)
        let found: (bytes: [UInt8], etag: String)?
        do {
            found = try client.getSmall(key: key, limit: Self.maximumObjectSize)
        } catch {
            throw PageStoreError(.storeFailed, object: display + name, reason: "it could not be read", cause: error)
        }
        guard let found else {
            throw PageStoreError(.missingObject, object: display + name, reason: "not in the store")
        }
        return found.bytes
    }

    func names(in folder: String) throws -> [String] {
        let folderPrefix = prefix + folder + "/"
        do {
            return try client.listAll(prefix: folderPrefix, pageSize: pageSize).compactMap { object in
                let name = String(object.key.dropFirst(folderPrefix.count))
                return name.isEmpty || name.contains("/") || name.hasPrefix(".") ? nil : name
            }
        } catch {
            throw PageStoreError(.storeFailed, object: display + folder, reason: "it could not be listed", cause: error)
        }
    }

    func delete(_ name: String) throws {
        let key = try self.key(name)
        do {
            try client.delete(key: key)
        } catch {
            throw PageStoreError(.storeFailed, object: display + name, reason: "it could not be deleted", cause: error)
        }
    }

    /// The object key of `name`: a folder and a file at most, no empty, `.` or `..` component.
    private func key(_ name: String) throws -> String {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw PageStoreError(.invalidInput, object: name, reason: "an object name is a folder and a file at most")
        }
        return prefix + name
    }
}

extension S3Store {
    /// The page store beside `database`'s backups: `<prefix><database>/pages/`.
    public func pageObjects(database: String) throws -> any PageObjects {
        try DatabaseName.validate(database)
        return S3PageObjects(
            client: try client(), prefix: folder(database) + DirectoryStore.pagesFolder + "/",
            display: location(of: database) + "/" + DirectoryStore.pagesFolder + "/", pageSize: options.pageSize)
    }
}
