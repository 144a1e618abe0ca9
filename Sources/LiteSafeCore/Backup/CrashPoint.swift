#if DEBUG
    import Glibc
#endif

/// Named instants where a debug build kills itself with SIGKILL, so the reliability tests can
/// check what a crash at exactly that point leaves on disk.
///
/// Chosen with `LITESAFE_TEST_CRASH_AT=<name>`. Release builds compile `reached` to nothing:
/// the hook does not exist there.
public enum CrashPoint: String, CaseIterable, Sendable {
    /// The online backup has copied its first pages into the staging file.
    case backupDuringSnapshot = "backup-during-snapshot"
    /// A captured snapshot's first pages (page 1 not among them) are in the hidden temporary
    /// file, behind the zeros where page 1 goes.
    case backupDuringCapture = "backup-during-capture"
    /// A captured snapshot's page 1 is written over its zeros; the file is not yet read back.
    case backupAfterReservedStart = "backup-after-reserved-start"
    /// The snapshot is staged (its check about to start); nothing is in the destination yet.
    case backupAfterSnapshot = "backup-after-snapshot"
    /// The compressor has taken its first chunk of the snapshot; nothing is stored yet.
    case backupDuringCompression = "backup-during-compression"
    /// Part of the encrypted stream is in the hidden temporary file.
    case backupDuringEncryption = "backup-during-encryption"
    /// The data file is complete and fsynced, not yet published.
    case backupBeforePublish = "backup-before-publish"
    /// The data file is published, its folder not yet fsynced, its manifest not yet written.
    case backupAfterPublish = "backup-after-publish"
    /// The manifest is written to its temporary file, not yet published.
    case backupBeforeManifestPublish = "backup-before-manifest-publish"
    /// A doomed backup's manifest is removed (and its folder synced), its data not yet.
    case pruneAfterManifest = "prune-after-manifest"
    /// The first doomed backup is wholly deleted.
    case pruneAfterDelete = "prune-after-delete"
    /// A page snapshot's first new pack is stored, its index and manifest not yet.
    case backupAfterPack = "backup-after-pack"
    /// The first pack no retained page snapshot reads is deleted, the others not yet.
    case pruneDuringPackSweep = "prune-during-pack-sweep"

    public static let environmentVariable = "LITESAFE_TEST_CRASH_AT"

    /// Dies here if the environment names this point (debug builds only).
    @inline(__always)
    public func reached() {
        #if DEBUG
            guard let armed = getenv(CrashPoint.environmentVariable), String(cString: armed) == rawValue else { return }
            raise(SIGKILL)
            _exit(137)
        #endif
    }
}
