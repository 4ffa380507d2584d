/* The plugin's SQLite connections (see sqlite_open.h). */
#include "plugin/data/sqlite_open.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cssf_sqlite_open(const char *path, const char *schema, int create_mode, const char *what,
                     sqlite3 **db, char *err, size_t err_cap) {
    *db = NULL;
    if (create_mode) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, (mode_t)create_mode);
        if (fd < 0) {
            snprintf(err, err_cap, "%s %s: %s", what, path, strerror(errno));
            return -1;
        }
        close(fd);
    }
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(
        path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(h, CSSF_SQLITE_BUSY_TIMEOUT_MS);
        rc = sqlite3_exec(h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK && schema)
        rc = sqlite3_exec(h, schema, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, err_cap, "%s %s: %s", what, path, h ? sqlite3_errmsg(h) : "cannot open");
        sqlite3_close_v2(h);
        return -1;
    }
    *db = h;
    return 0;
}
