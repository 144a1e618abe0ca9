#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro over a function-pointer cast, which Swift cannot import.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }

// SQLITE_CANTOPEN_SYMLINK is a macro built from other macros, which Swift does not import.
static inline int csqlite_cantopen_symlink(void) { return SQLITE_CANTOPEN_SYMLINK; }
