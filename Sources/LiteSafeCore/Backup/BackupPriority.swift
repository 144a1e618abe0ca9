import Glibc

/// A backup gives way to the application whose database it copies: it runs at a lower CPU
/// priority (nice +10 from its caller's), so a writer that wakes to commit gets a core at once
/// instead of waiting behind compression, encryption and the check. When nothing else wants the
/// CPU the backup still has all of it.
enum BackupPriority {
    /// How much higher than its caller's a backup thread's nice value is.
    static let niceIncrement: Int32 = 10

    /// Lowers the calling thread's priority for the rest of its life, and so that of the threads
    /// it starts from now on (zstd's workers, the encryptor's, the check's): on Linux the nice
    /// value belongs to a thread, and `PRIO_PROCESS` with 0 names the calling one. Best effort:
    /// a failure leaves the priority as it was.
    static func lowerCallingThread() {
        errno = 0
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        guard errno == 0 else { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, min(19, current + niceIncrement))
    }

    /// The calling thread's nice value.
    static var current: Int32 { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
}
