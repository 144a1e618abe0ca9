/// A restore refused for what its input or OUT's folder turned out to be, in the shape of
/// `BackupError`: a `code` to match on, the location it concerns, and what is wrong.
///
/// The description also says what to do about the data (use an older backup, run it again);
/// nothing in it depends on how LiteSafe is installed.
public struct RestoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The restored bytes do not start with the SQLite header.
        case notADatabase
        /// The restored bytes run past the size the database's own header declares.
        case longerThanHeader
        /// OUT was replaced, removed or created by another process while the restore ran.
        case outputChanged
        /// The private folder the restore checked its copy in was swapped by another process.
        case folderChanged
        /// A page snapshot's index was given without the store holding its packs.
        case pagesNeedTheirStore
    }

    public var code: Code
    /// The backup restored from (`notADatabase`, `longerThanHeader`) or OUT.
    public var location: String
    public var message: String

    public var description: String { message }

    public static func notADatabase(source: String) -> RestoreError {
        RestoreError(
            code: .notADatabase, location: source,
            message:
                "\(source) does not hold an SQLite database (the restored bytes do not start with the SQLite header): nothing was written — check that this is a LiteSafe backup, or use an older one"
        )
    }

    public static func longerThanHeader(source: String, declaredBytes: Int64) -> RestoreError {
        RestoreError(
            code: .longerThanHeader, location: source,
            message:
                "\(source) restores to more than the \(ByteCount(declaredBytes)) its SQLite header declares: not written — the backup is damaged or a decompression bomb; use an older backup"
        )
    }

    public static func outputChanged(path: String) -> RestoreError {
        RestoreError(
            code: .outputChanged, location: path,
            message:
                "\(path) was replaced, removed or created by another process during the restore; it was left as it is — stop whatever changes it and run the restore again"
        )
    }

    public static func pagesNeedTheirStore(source: String) -> RestoreError {
        RestoreError(
            code: .pagesNeedTheirStore, location: source,
            message:
                "\(source) is a page snapshot's index, and its pages are in the packs of its store, which are not beside it (no pages/ folder): nothing was written — restore it by the database's name with --from the store's folder (or --config), or name the file in its database's folder in the store"
        )
    }

    public static func folderChanged(path: String) -> RestoreError {
        RestoreError(
            code: .folderChanged, location: path,
            message:
                "another process changed the folder of \(path) during the restore, so the file SQLite checked was not the restored copy; \(path) was not changed — restore into a folder only you can write, then move the file"
        )
    }
}
