import Glibc

/// A new file written under a hidden temporary name and published under its final name only
/// once it is complete and durable.
///
/// The recipe: open the temporary `O_CREAT|O_EXCL|O_NOFOLLOW` mode 0600, write, `fsync`,
/// `close` (checking its error: NFS and some disks report write failures only there),
/// link it to the final name (which fails rather than replaces), unlink the temporary name,
/// `fsync` the folder. A crash at any point leaves either nothing or a temporary that
/// `removeLeftovers` deletes; never a partial file under the final name.
public final class AtomicFile {
    public let directory: String
    public let finalName: String
    public let temporaryName: String
    private var descriptor: Int32
    /// Test-only crash points `commit` passes just before and just after publishing; the
    /// backup's data file sets them, every other atomic file has none.
    var crashPoints: (beforePublish: CrashPoint, afterPublish: CrashPoint)?

    /// The prefix every temporary file of ours starts with, so cleanup can find them.
    public static let temporaryPrefix = ".litesafe-tmp-"

    /// Creates the temporary file for `finalName` in `directory`; `temporarySuffix` ends the
    /// temporary's name (so a reader of `*.prom` never sees a half-written metrics file).
    public init(directory: String, finalName: String, temporarySuffix: String = "") throws {
        self.directory = directory
        self.finalName = finalName
        let random = (0..<8).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
        temporaryName = AtomicFile.temporaryPrefix + random + "-" + finalName + temporarySuffix
        let path = directory + "/" + temporaryName
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileSystemError("create", path: path) }
    }

    deinit { abandon() }

    public var temporaryPath: String { directory + "/" + temporaryName }
    public var finalPath: String { directory + "/" + finalName }

    /// Appends `bytes`, retrying short writes and interrupted calls.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("write", path: temporaryPath)
            }
            offset += n
        }
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Makes the file durable and visible under its final name; fails if that name exists,
    /// unless `replacing` (a restore with `--force`), when the old file is swapped out atomically.
    public func commit(replacing: Bool = false) throws {
        try sync()
        crashPoints?.beforePublish.reached()
        if replacing {
            if rename(temporaryPath, finalPath) != 0 { throw FileSystemError("rename to", path: finalPath) }
        } else {
            try FileSystem.publish(temporaryPath, as: finalPath)
        }
        crashPoints?.afterPublish.reached()
        do {
            try FileSystem.syncDirectory(directory)
        } catch {
            // A commit that throws must leave nothing under the final name: a caller cleaning
            // up after the error (the store unlinks the data file when its manifest fails)
            // would otherwise leave a manifest naming a file that is gone. A replaced file
            // cannot be put back, so `replacing` keeps the new one.
            if !replacing { unlink(finalPath) }
            throw error
        }
    }

    /// Makes the temporary file durable and closes it (checking close, which is where NFS and
    /// some disks report write errors); `commit` does this itself when it has not been done.
    public func sync() throws {
        guard descriptor >= 0 else { return }
        if fsync(descriptor) != 0 { throw FileSystemError("fsync", path: temporaryPath) }
        let fd = descriptor
        descriptor = -1
        if close(fd) != 0 { throw FileSystemError("close", path: temporaryPath) }
    }

    /// Closes and removes the temporary file; harmless after `commit`.
    public func abandon() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(temporaryPath)
    }
}
