import CMalloc
import Foundation

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

    /// Returns the free pages every arena still holds, and asks the kernel to drop the pages of
    /// the daemon's own code that are resident (`MADV_PAGEOUT`): a backup runs code an idle
    /// daemon never does (an S3 store's HTTP, signing and XML touch about 10 MiB of it), and
    /// those clean pages would otherwise stay counted as the idle daemon's until memory runs
    /// short. What the idle daemon runs comes back from the page cache at its next timer.
    static func releaseFreedMemory() {
        _ = malloc_trim(0)
        for range in ownCodeRanges() {
            _ = madvise(UnsafeMutableRawPointer(bitPattern: range.lowerBound), range.count, pageOut)
        }
    }

    /// `MADV_PAGEOUT` (Linux 5.4); older kernels refuse it with EINVAL, harmlessly.
    static let pageOut: Int32 = 21

    /// The executable's own mapped code (its `r-xp` mappings in /proc/self/maps).
    static func ownCodeRanges() -> [Range<UInt>] {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8),
            let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        else { return [] }
        return maps.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "r-xp", fields[5...].joined(separator: " ") == executable else {
                return nil
            }
            let bounds = fields[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
            guard bounds.count == 2, bounds[0] < bounds[1] else { return nil }
            return bounds[0]..<bounds[1]
        }
    }
}
