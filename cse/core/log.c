#include "cse/core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = {"error", "warn", "info", "debug"};

/* Process-wide logger: the threshold is read without a lock (an int), the
 * stream is written with one fprintf per line (stdio locks the stream). */
static int log_threshold = CSE_LOG_INFO;
static FILE *log_stream;

int cse_log_set_level_name(const char *name) {
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            log_threshold = i;
            return 0;
        }
    }
    return -1;
}

int cse_log_open(const char *path) {
    FILE *f = fopen(path, "a");
    if (!f)
        return -1;
    setvbuf(f, NULL, _IOLBF, 0);
    log_stream = f;
    return 0;
}

void cse_log(int level, const char *fmt, ...) {
    if (level > log_threshold || level < 0)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(log_stream ? log_stream : stderr, "%s.%03ldZ %s %s\n", when, ts.tv_nsec / 1000000,
            level_names[level], msg);
}
