// libpq-fe.h lives in /usr/include/postgresql; without pkg-config flags (nothing is linked) it is
// named by that path.
#include <postgresql/libpq-fe.h>
