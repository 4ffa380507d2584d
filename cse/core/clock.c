#include "cse/core/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t cse_clock_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void cse_clock_format(int64_t us, char *buf, size_t cap) {
    time_t secs = (time_t)(us / 1000000);
    long frac = (long)(us % 1000000);
    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, cap, "%04d%02d%02dT%02d%02d%02d,%06ld", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static int digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (no timegm locale). */
static int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int cse_clock_parse(const char *text, int64_t *us) {
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, s;
    if (!text || strlen(text) < 15 || text[8] != 'T')
        return -1;
    if (digits(text, 4, &y) || digits(text + 4, 2, &mo) || digits(text + 6, 2, &d) ||
        digits(text + 9, 2, &h) || digits(text + 11, 2, &mi) || digits(text + 13, 2, &s))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
        return -1;
    const char *p = text + 15;
    int64_t frac = 0;
    if (*p == ',' || *p == '.') {
        p++;
        int n = 0;
        int64_t scale = 100000;
        while (*p >= '0' && *p <= '9') {
            if (++n > 6)
                return -1;
            frac += (*p - '0') * scale;
            scale /= 10;
            p++;
        }
        if (n == 0)
            return -1;
    }
    if (*p == 'Z')
        p++;
    if (*p != '\0')
        return -1;
    int64_t days = days_from_civil(y, mo, d);
    *us = ((days * 86400) + h * 3600 + mi * 60 + s) * 1000000 + frac;
    return 0;
}
