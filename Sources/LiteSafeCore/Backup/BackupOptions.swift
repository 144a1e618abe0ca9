import Age

/// How the WAL is checkpointed before a snapshot.
///
/// `passive` never blocks writers and is the default; the others wait for readers or writers
/// (https://sqlite.org/c3ref/wal_checkpoint_v2.html) and are opt-in.
public enum CheckpointMode: String, Sendable, CaseIterable, Codable {
    case none, passive, full, restart, truncate
}

/// How a database's snapshots are stored (`format`).
public enum BackupFormat: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Each backup a whole file that stock `age -d | zstd -d` turns back into the database.
    case file
    /// An incremental page store: each backup stores only the pages whose content changed,
    /// in packs shared between snapshots (`PageStore/`).
    case pages

    public var description: String { rawValue }
}

/// How the snapshot is compressed before it is encrypted.
public enum Compression: Sendable, Hashable, CustomStringConvertible {
    case none
    case zstd(level: Int)

    public static let `default` = Compression.zstd(level: 3)
    public static let zstdLevels = 1...19

    /// Parses `none` or `zstd:N` (N in 1...19); `zstd` alone means level 3.
    public init?(parsing text: String) {
        if text == "none" {
            self = .none
            return
        }
        if text == "zstd" {
            self = .default
            return
        }
        guard text.hasPrefix("zstd:"), let level = Int(text.dropFirst(5)),
            Compression.zstdLevels.contains(level)
        else { return nil }
        self = .zstd(level: level)
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .zstd(let level): "zstd:\(level)"
        }
    }
}

/// How thoroughly a staged snapshot is checked before it is published.
public enum IntegrityCheck: String, Sendable, CaseIterable, Codable {
    /// `PRAGMA quick_check`: O(N), skips index-content cross-checks.
    case quick
    /// `PRAGMA integrity_check`: also verifies that indexes match their tables.
    case full
}

/// Who can decrypt a backup.
public enum Encryption: Sendable, Hashable {
    /// Encrypted to every recipient (age X25519 public keys).
    case recipients([X25519Recipient])
    /// Plaintext, only when the configuration says `encryption: none` explicitly.
    case none
}
