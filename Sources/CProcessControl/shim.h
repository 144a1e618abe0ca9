// prctl(2), for keeping a process that holds secret keys out of core dumps and ptrace.
#include <sys/prctl.h>

// prctl is variadic, which Swift cannot call; this fixes its arguments.
static inline int litesafe_set_dumpable(int dumpable) {
    return prctl(PR_SET_DUMPABLE, (unsigned long)dumpable, 0UL, 0UL, 0UL);
}
