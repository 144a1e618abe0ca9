/// A restore refused for what its input or OUT's folder turned out to be.
public enum RestoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The restored bytes do not start with the SQLite header.
    case notADatabase(source: String)
    /// The restored bytes run past the size the database's own header declares.
    case longerThanHeader(source: String, declaredBytes: Int64)
    /// OUT was replaced, removed or created by another process while the restore ran.
    case outputChanged(path: String)
    /// The private folder the restore checked its copy in was swapped by another process.
    case folderChanged(path: String)

    public var description: String {
        switch self {
        case .notADatabase(let source):
            "\(source) does not hold an SQLite database (the restored bytes do not start with the SQLite header): nothing was written — check that this is a LiteSafe backup, or use an older one"
        case .longerThanHeader(let source, let declared):
            "\(source) restores to more than the \(ByteCount(declared)) its SQLite header declares: not written — the backup is damaged or a decompression bomb; use an older backup"
        case .outputChanged(let path):
            "\(path) was replaced, removed or created by another process during the restore; it was left as it is — stop whatever changes it and run the restore again"
        case .folderChanged(let path):
            "another process changed the folder of \(path) during the restore, so the file SQLite checked was not the restored copy; \(path) was not changed — restore into a folder only you can write, then move the file"
        }
    }
}
