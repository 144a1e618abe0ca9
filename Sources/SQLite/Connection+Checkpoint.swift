import CSQLite

/// What a WAL checkpoint saw and did.
public struct CheckpointResult: Sendable, Equatable {
    /// Frames in the WAL when the checkpoint ran.
    public let framesInLog: Int
    /// Frames copied back into the database file.
    public let framesCheckpointed: Int
    /// True when a blocking mode gave up waiting for readers or writers (`SQLITE_BUSY`).
    public let wasBusy: Bool
}

extension Connection {
    /// The kinds of checkpoint of `sqlite3_wal_checkpoint_v2` (https://sqlite.org/c3ref/wal_checkpoint_v2.html).
    public enum CheckpointKind: Sendable {
        case passive, full, restart, truncate

        var code: Int32 {
            switch self {
            case .passive: SQLITE_CHECKPOINT_PASSIVE
            case .full: SQLITE_CHECKPOINT_FULL
            case .restart: SQLITE_CHECKPOINT_RESTART
            case .truncate: SQLITE_CHECKPOINT_TRUNCATE
            }
        }
    }

    /// Checkpoints the main database's WAL.
    ///
    /// A blocking kind that cannot finish within the busy timeout reports `wasBusy`
    /// instead of throwing: the snapshot that follows is consistent either way.
    public func checkpoint(_ kind: CheckpointKind) throws -> CheckpointResult {
        var log: Int32 = -1
        var checkpointed: Int32 = -1
        let rc = sqlite3_wal_checkpoint_v2(handle, "main", kind.code, &log, &checkpointed)
        if rc != SQLITE_OK && rc & 0xff != SQLITE_BUSY {
            throw SQLiteError(connection: handle, code: rc, operation: "checkpoint \(path)")
        }
        return CheckpointResult(
            framesInLog: Int(log), framesCheckpointed: Int(checkpointed), wasBusy: rc != SQLITE_OK)
    }
}
