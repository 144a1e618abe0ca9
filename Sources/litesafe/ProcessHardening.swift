import CProcessControl

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps the secret keys a process may read (identity files for restore, verify and the
/// daemon's restore tests) out of core dumps and away from other processes of the same user.
enum ProcessHardening {
    /// No core file (`RLIMIT_CORE` 0, also for children), and not dumpable: no core, no
    /// `ptrace` or `/proc/PID/mem` by the same user, `/proc/PID` files owned by root.
    ///
    /// Failures are ignored: under the unit's `SystemCallFilter=~@resources` setrlimit is
    /// refused, and `LimitCORE=0` there has already done its work.
    static func apply() {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
        _ = litesafe_set_dumpable(0)
    }
}
