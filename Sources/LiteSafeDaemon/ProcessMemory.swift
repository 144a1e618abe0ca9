import CMalloc

/// How the daemon keeps its resident memory small between backups, through glibc's allocator.
///
/// A backup allocates tens of MiB of short-lived buffers (compression jobs, encryption batches,
/// reads). By default glibc raises its mmap and trim thresholds after the first large buffer is
/// freed; from then on such buffers come from per-thread arenas and stay resident after they are
/// freed, so an idle daemon keeps the last backup's peak (30–40 MiB for a large database) until
/// the next one. Fixed thresholds keep large buffers mapped only while in use.
public enum ProcessMemory {
    /// Buffers of this size or more are mapped for their own use and unmapped when freed.
    static let mapThreshold: Int32 = 256 * 1024
    /// A thread arena gives free memory at its top back to the system once it exceeds this.
    static let trimThreshold: Int32 = 1024 * 1024

    /// Fixes glibc's thresholds (which also stops it raising them). Call it once, before the
    /// process starts a thread: glibc's mallopt is not safe while other threads allocate.
    public static func returnFreedMemoryPromptly() {
        _ = mallopt(M_MMAP_THRESHOLD, mapThreshold)
        _ = mallopt(M_TRIM_THRESHOLD, trimThreshold)
    }

    /// Returns the free pages every arena still holds.
    static func releaseFreedMemory() {
        _ = malloc_trim(0)
    }
}
