#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro over a function-pointer cast, which Swift cannot import.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }

// SQLITE_CANTOPEN_SYMLINK is a macro built from other macros, which Swift does not import.
static inline int csqlite_cantopen_symlink(void) { return SQLITE_CANTOPEN_SYMLINK; }

// The extended I/O result codes a VFS returns are macros built from other macros, too.
static inline int csqlite_ioerr_read(void) { return SQLITE_IOERR_READ; }
static inline int csqlite_ioerr_short_read(void) { return SQLITE_IOERR_SHORT_READ; }
static inline int csqlite_ioerr_write(void) { return SQLITE_IOERR_WRITE; }
static inline int csqlite_ioerr_truncate(void) { return SQLITE_IOERR_TRUNCATE; }
