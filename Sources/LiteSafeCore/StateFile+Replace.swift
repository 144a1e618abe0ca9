import Glibc

extension AtomicFile {
    /// Replaces `directory/name` with `bytes` at `mode`: an `AtomicFile` fsynced and closed,
    /// given its mode, then renamed over the old file, then the folder fsynced.
    ///
    /// For small files rewritten in place (the state file, the metrics textfile). The temporary
    /// is named `.litesafe-tmp-…-NAME.tmp`, so a collector that reads `*.prom` never sees it.
    static func replace(directory: String, name: String, bytes: [UInt8], mode: mode_t) throws {
        let file = try AtomicFile(directory: directory, finalName: name, temporarySuffix: ".tmp")
        try file.write(bytes)
        try file.sync()
        if chmod(file.temporaryPath, mode) != 0 { throw FileSystemError("set mode of", path: file.temporaryPath) }
        try file.commit(replacing: true)
    }

    /// Removes what an interrupted `replace(directory:name:bytes:mode:)` of `name` left.
    static func removeReplaceLeftovers(directory: String, name: String) {
        for entry in (try? FileSystem.contents(of: directory)) ?? []
        where entry.hasPrefix(temporaryPrefix) && entry.hasSuffix("-" + name + ".tmp") {
            unlink(directory + "/" + entry)
        }
    }
}
