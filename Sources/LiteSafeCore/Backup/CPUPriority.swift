import CLinux
import Glibc

/// How a backup shares the CPU with the applications whose databases it copies
/// (`backup_cpu_priority`).
public enum CPUPriority: String, Sendable, CaseIterable, Equatable {
    /// Only CPU time nothing else wants (`SCHED_IDLE`): an application's writer that wakes to
    /// commit takes a core at once and is never held up by compression or the check. On a
    /// machine busy all the time a backup then takes long (`status` says when one is overdue).
    case idle
    /// A smaller share (nice +10, and a 0.1 ms time slice where the kernel knows slices): the
    /// backup keeps progressing on a busy machine; a writer may wait for a core a little.
    case low
    /// The same as anything else the service runs.
    case normal

    /// Puts the calling thread at this priority for the rest of its life, and so the threads it
    /// starts from now on (zstd's workers, the encryptor's, the check's): on Linux a priority
    /// belongs to a thread, and 0 names the calling one. Best effort: a failure leaves it as it was.
    func applyToCallingThread() {
        switch self {
        case .normal: return
        case .idle:
            // SCHED_IDLE (5) with the nice value kept.
            if litesafe_set_fair_slice(Self.currentNice, 0, 5) == 0 { return }
            Self.lowerNice()
        case .low:
            let nice = min(19, Self.currentNice + Self.niceIncrement)
            // A short slice too: Linux's EEVDF scheduler (6.6 on) lets a running task finish its
            // slice before a waking one runs, nice or not. Kernels that know no slices ignore it.
            if litesafe_set_fair_slice(nice, 100_000, 0) == 0 { return }
            Self.lowerNice()
        }
    }

    /// How much higher than its caller's a `low` backup thread's nice value is.
    static let niceIncrement: Int32 = 10

    private static var currentNice: Int32 { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }

    private static func lowerNice() {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, min(19, currentNice + niceIncrement))
    }
}
