import Glibc

/// `PageObjects` in a folder: each object a file, published as every backup file is
/// (`AtomicFile`: `O_EXCL` 0600, fsync, checked close, no-replace link, fsync the folder), so
/// an object is either whole or absent after a crash.
public final class FolderPageObjects: PageObjects, @unchecked Sendable {
    // @unchecked: the descriptor is opened once and never changes; each call opens its own files.
    private let root: FolderDescriptor

    /// The page store in the folder `path`, created (0700) if it is missing and `creating`.
    public init(path: String, creating: Bool = true) throws {
        if creating, mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw PageStoreError(
                .storeFailed, object: path, reason: "cannot create the page store's folder",
                cause: FileSystemError("create folder", path: path))
        }
        do {
            root = try FolderDescriptor(path: path)
        } catch let error as FileSystemError where error.errno == ENOENT {
            throw PageStoreError(.missingObject, object: path, reason: "there is no page store here", cause: error)
        } catch {
            throw PageStoreError(
                .storeFailed, object: path, reason: "cannot open the page store's folder",
                cause: error as? FileSystemError)
        }
    }

    public func create(_ name: String, bytes: [UInt8]) throws -> Bool {
        try failing(name) {
            let (folder, file) = try locate(name, creating: true)
            if try folder.status(of: file) != nil { return false }
            let atomic = try AtomicFile(folder: folder, finalName: file)
            try atomic.write(bytes)
            do {
                try atomic.commit()
            } catch let error as FileSystemError where error.errno == EEXIST {
                return false
            }
            return true
        }
    }

    public func read(_ name: String) throws -> [UInt8] {
        try failing(name) {
            let (folder, file) = try locate(name, creating: false)
            let fd = openat(folder.descriptor, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { throw PageStoreError(.missingObject, object: name, reason: "not in the store") }
                throw FileSystemError("open", path: folder.path(of: file))
            }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw FileSystemError("inspect", path: folder.path(of: file)) }
            var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    if n == 0 {
                        throw PageStoreError(.damagedObject, object: name, reason: "it shrank while it was read")
                    }
                    throw FileSystemError("read", path: folder.path(of: file))
                }
                done += n
            }
            return bytes
        }
    }

    public func names(in folder: String) throws -> [String] {
        try failing(folder) {
            guard try root.status(of: folder) != nil else { return [] }
            return try root.openFolder(folder).contents()
                .filter { !$0.hasPrefix(".") }
        }
    }

    public func delete(_ name: String) throws {
        try failing(name) {
            let (folder, file) = try locate(name, creating: false)
            try folder.remove(file)
            try folder.sync()
        }
    }

    /// The folder holding `name` and its file name in it.
    private func locate(_ name: String, creating: Bool) throws -> (FolderDescriptor, String) {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: return (root, parts[0])
        case 2:
            if try root.status(of: parts[0]) == nil {
                guard creating else { throw PageStoreError(.missingObject, object: name, reason: "not in the store") }
                do { try root.createFolder(parts[0]) } catch let error as FileSystemError where error.errno == EEXIST {}
                try root.sync()
            }
            return (try root.openFolder(parts[0]), parts[1])
        default:
            throw PageStoreError(.invalidInput, object: name, reason: "an object name is a folder and a file at most")
        }
    }

    /// Runs `body`, giving a file-system failure the object's name.
    private func failing<T>(_ name: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PageStoreError {
            throw error
        } catch let error as FileSystemError {
            throw PageStoreError(.storeFailed, object: name, reason: "the store's folder failed", cause: error)
        }
    }
}
