// Linux calls of glibc that Glibc's Swift module does not export (sync_file_range) or that glibc
// 2.36 has no wrapper for (sched_setattr); part of libc itself.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

// Starts writing [offset, offset + count) of fd back to disk, without waiting.
static inline int litesafe_writeback_start(int fd, long long offset, long long count) {
    return sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE);
}

// Waits until [offset, offset + count) of fd is written back (starting what is not yet started).
static inline int litesafe_writeback_wait(int fd, long long offset, long long count) {
    return sync_file_range(
        fd, offset, count, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
}

// The calling thread under SCHED_OTHER with `nice` and a time slice of `slice_ns` (Linux 6.12 and
// later honour the slice: a task with a short one is preempted sooner by a waking task; earlier
// kernels ignore it). Returns 0, or -1 with errno set.
static inline int litesafe_set_fair_slice(int nice, unsigned long long slice_ns, unsigned policy) {
    struct {
        uint32_t size;
        uint32_t sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime;
        uint64_t sched_deadline;
        uint64_t sched_period;
    } attr = {sizeof(attr), policy, 0, nice, 0, slice_ns, 0, 0};
    return (int)syscall(SYS_sched_setattr, 0, &attr, 0);
}
