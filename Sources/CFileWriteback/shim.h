// glibc's sync_file_range (Linux), which Glibc's Swift module does not export; part of libc itself.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>

// Starts writing [offset, offset + count) of fd back to disk, without waiting.
static inline int litesafe_writeback_start(int fd, long long offset, long long count) {
    return sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE);
}

// Waits until [offset, offset + count) of fd is written back (starting what is not yet started).
static inline int litesafe_writeback_wait(int fd, long long offset, long long count) {
    return sync_file_range(
        fd, offset, count, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
}
