import Foundation

/// The record written beside every backup: what it holds and how to check it.
///
/// A backup and its manifest are one unit: the manifest is written last and removed first,
/// so a data file without one is an interrupted backup or a half-finished prune, never a
/// backup to list or restore.
public struct Manifest: Codable, Sendable, Equatable {
    /// The format of a manifest whose `plaintext_sha256` covers the whole database (a staged
    /// snapshot, a dump): every LiteSafe reads it.
    public static let currentFormat = 1
    /// The format of a captured snapshot's manifest, whose database hash is in two parts
    /// (`first_page_sha256`, `after_first_page_sha256`): page 1 is captured last, so no one
    /// pass over the database in order exists. Older LiteSafe versions refuse it by its number.
    public static let splitHashFormat = 2
    /// The format of a page snapshot's manifest (`format: pages`): hashes in two parts, as a
    /// captured snapshot's, and `pages`, the packs its data file (the encrypted index) refers to.
    public static let pageSnapshotFormat = 3
    /// Manifests larger than this are refused unparsed: LiteSafe writes about 1 KiB (a page
    /// snapshot's lists its packs: 1 MiB is some 14,000 packs, over 100 GB compressed), and a
    /// store others can write to must not make `list` hold gigabytes of JSON.
    public static let maximumSize = 1 << 20

    public var format: Int = Manifest.currentFormat
    public var database: String
    public var sourcePath: String
    /// When the snapshot was taken, UTC.
    public var created: Date
    /// The data file's name, in the same folder.
    public var file: String
    public var sqliteVersion: String
    public var pageSize: Int
    public var pageCount: Int
    /// Whether the source was in WAL mode; a restore puts it back in WAL mode if so.
    public var walMode: Bool
    public var plaintextSize: Int64
    /// SHA-256 of the whole database (format 1); nil in a captured snapshot's manifest.
    public var plaintextSHA256: String?
    /// SHA-256 of the database's first `pageSize` bytes (format 2).
    public var firstPageSHA256: String? = nil
    /// SHA-256 of the database's bytes after its first page (format 2).
    public var afterFirstPageSHA256: String? = nil
    public var storedSize: Int64
    public var storedSHA256: String
    public var compression: String
    /// "age" or "none".
    public var encryption: String
    public var recipients: [String]
    /// "quick_check ok", "integrity_check ok".
    public var check: String
    public var litesafeVersion: String
    /// What the data file holds; absent (nil) in a snapshot's manifest, as in every manifest
    /// written before dumps were stored, so those stay valid and mean what they meant.
    public var kind: BackupKind? = nil
    /// A page snapshot's packs and costs (format 3); nil for any other backup.
    public var pages: PageFacts? = nil

    enum CodingKeys: String, CodingKey {
        case format, database, created, file, compression, encryption, recipients, check, kind, pages
        case sourcePath = "source_path"
        case sqliteVersion = "sqlite_version"
        case pageSize = "page_size"
        case pageCount = "page_count"
        case walMode = "wal_mode"
        case plaintextSize = "plaintext_size"
        case plaintextSHA256 = "plaintext_sha256"
        case firstPageSHA256 = "first_page_sha256"
        case afterFirstPageSHA256 = "after_first_page_sha256"
        case storedSize = "stored_size"
        case storedSHA256 = "stored_sha256"
        case litesafeVersion = "litesafe_version"
    }

    /// Whether the data file is a SQL dump rather than a snapshot of the database file.
    public var isDump: Bool { kind == .dump }

    /// The manifest as pretty, stable JSON.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .text(BackupName.iso8601)
        return Array(try encoder.encode(self)) + [0x0A]
    }

    /// Parses a manifest, naming `path` in the error.
    public static func decode(_ bytes: [UInt8], path: String) throws -> Manifest {
        guard bytes.count <= maximumSize else {
            throw BackupError.unreadableManifest(
                path: path,
                reason: "it is \(bytes.count) bytes, more than the \(maximumSize) a manifest may have")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601Text
        do {
            let manifest = try decoder.decode(Manifest.self, from: Data(bytes))
            guard manifest.format >= currentFormat, manifest.format <= pageSnapshotFormat else {
                throw BackupError.unreadableManifest(
                    path: path,
                    reason: "format \(manifest.format) is newer than this LiteSafe understands; upgrade LiteSafe")
            }
            // Exactly one way to check the database: the whole hash (1) or its two parts (2).
            let split = manifest.firstPageSHA256 != nil && manifest.afterFirstPageSHA256 != nil
            let whole = manifest.plaintextSHA256 != nil
            guard whole != split, split == (manifest.format >= splitHashFormat),
                manifest.firstPageSHA256 == nil || split, manifest.afterFirstPageSHA256 == nil || split
            else {
                throw BackupError.unreadableManifest(
                    path: path,
                    reason: manifest.format >= splitHashFormat
                        ? "format \(manifest.format) needs first_page_sha256 and after_first_page_sha256, and no plaintext_sha256"
                        : "it has no plaintext_sha256")
            }
            // A page snapshot's data file is an index of packs: its manifest must say so, and only its.
            let isPages = BackupName.isPagesFile(manifest.file)
            guard (manifest.pages != nil) == (manifest.format == pageSnapshotFormat), isPages == (manifest.pages != nil)
            else {
                throw BackupError.unreadableManifest(
                    path: path,
                    reason: manifest.pages == nil
                        ? "format \(manifest.format) with the file '\(manifest.file.escapingControlCharacters)' needs \"pages\" (format 3, a .pages file)"
                        : "it lists pages but is format \(manifest.format) with the file '\(manifest.file.escapingControlCharacters)'"
                )
            }
            if let pages = manifest.pages {
                guard BackupName.isPlainName(pages.key), pages.packs.allSatisfy({ PageStoreLayout.isPackName($0) })
                else {
                    throw BackupError.unreadableManifest(
                        path: path, reason: "its page key or pack names are not plain names")
                }
            }
            guard !manifest.file.contains("/"), manifest.file != "..", manifest.file != "." else {
                throw BackupError.unreadableManifest(
                    path: path, reason: "its file name '\(manifest.file.escapingControlCharacters)' is not a plain name"
                )
            }
            guard DatabaseName.isValid(manifest.database) else {
                throw BackupError.unreadableManifest(
                    path: path,
                    reason:
                        "its database name '\(manifest.database.escapingControlCharacters)' is not a valid name (letters, digits, '.', '_' and '-')"
                )
            }
            // The kind decides how retention counts and how a restore chooses: it must agree with
            // the data file's name, which says how to read the bytes.
            guard BackupName.isDumpFile(manifest.file) == manifest.isDump else {
                throw BackupError.unreadableManifest(
                    path: path,
                    reason: manifest.isDump
                        ? "it says it is a dump but names '\(manifest.file.escapingControlCharacters)', which is not a .sql file"
                        : "it names the dump file '\(manifest.file.escapingControlCharacters)' but does not say \"kind\": \"dump\""
                )
            }
            return manifest
        } catch let error as BackupError {
            throw error
        } catch let error as DecodingError {
            throw BackupError.unreadableManifest(path: path, reason: error.readable)
        } catch {
            throw BackupError.unreadableManifest(path: path, reason: "\(error)", cause: error)
        }
    }
}

/// What a stored backup holds: a snapshot of the database file, or a logical SQL dump of it.
public enum BackupKind: String, Codable, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case snapshot
    case dump

    public var description: String { rawValue }
}

extension Manifest {
    /// What the data file holds (a manifest without `kind` is a snapshot's).
    public var backupKind: BackupKind { kind ?? .snapshot }
}
