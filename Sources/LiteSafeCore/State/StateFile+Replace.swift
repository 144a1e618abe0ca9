import Glibc

extension AtomicFile {
    /// Replaces `directory/name` with `bytes` at `mode`: an `AtomicFile` given its mode while
    /// still open, fsynced and closed, then renamed over the old file, then the folder fsynced.
    ///
    /// For small files rewritten in place (the state file, the metrics textfile). The temporary
    /// is named `.litesafe-tmp-…-NAME.tmp`, so a collector that reads `*.prom` never sees it.
    /// The mode is set on the open file and the rename goes through the folder's descriptor:
    /// a symlink planted under either name is replaced, never followed.
    static func replace(directory: String, name: String, bytes: [UInt8], mode: mode_t) throws {
        let file = try AtomicFile(directory: directory, finalName: name, temporarySuffix: ".tmp")
        try file.write(bytes)
        try file.setMode(mode)
        try file.commit(replacing: true)
    }

    /// Removes what an interrupted `replace(directory:name:bytes:mode:)` of `name` left.
    static func removeReplaceLeftovers(directory: String, name: String) {
        guard let folder = try? FolderDescriptor(path: directory, followSymlink: true) else { return }
        for entry in (try? folder.contents()) ?? []
        where entry.hasPrefix(temporaryPrefix) && entry.hasSuffix("-" + name + ".tmp") {
            try? folder.remove(entry)
        }
    }
}
