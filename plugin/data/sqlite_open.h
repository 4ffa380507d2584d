/*
 * Opens one of the plugin's own SQLite connections the way every plugin
 * table needs it: WAL, synchronous=FULL (a change is on disk when the call
 * returns), a busy timeout (the CSE's store and other connections share
 * the file), and the caller's schema applied. Owner: plugin/data.
 */
#ifndef CSSF_DATA_SQLITE_OPEN_H
#define CSSF_DATA_SQLITE_OPEN_H

#include <sqlite3.h>
#include <stddef.h>

#define CSSF_SQLITE_BUSY_TIMEOUT_MS 5000

/*
 * create_mode 0: SQLite creates a missing file (umask applies); otherwise
 * the file is created first with exactly that mode (e.g. 0600 for files
 * holding user names), never widening an existing one. Returns 0 with *db
 * open, or -1 with "WHAT PATH: why" in err and *db NULL.
 */
int cssf_sqlite_open(const char *path, const char *schema, int create_mode, const char *what,
                     sqlite3 **db, char *err, size_t err_cap);

#endif
