/* actw cron windows (see cron.h). */
#include "plugin/authz/cron.h"

#include <string.h>

static const struct {
    int lo, hi;
} field_range[CSSF_CRON_FIELDS] = {
    {0, 59}, {0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}, {1970, 2225},
};

enum { F_DOW = 5 };

static void set_bit(uint64_t *bits, int idx) {
    bits[idx / 64] |= (uint64_t)1 << (idx % 64);
}

static int test_bit(const uint64_t *bits, int idx) {
    return (bits[idx / 64] >> (idx % 64)) & 1;
}

/* Reads a decimal number of at most 4 digits from [*p, end). */
static int read_num(const char **p, const char *end, int *out) {
    int n = 0, digits = 0;
    while (*p < end && **p >= '0' && **p <= '9') {
        if (++digits > 4)
            return -1;
        n = n * 10 + (**p - '0');
        (*p)++;
    }
    if (digits == 0)
        return -1;
    *out = n;
    return 0;
}

/* One comma item in [p, end): "*", "n", "a-b", each optionally "/step"
 * ("n/step" is refused: it reads as a range in some crons, a value in others). */
static int parse_item(const char *p, const char *end, int field, uint64_t *bits) {
    int lo = field_range[field].lo, hi = field_range[field].hi;
    int a, b, step = 1, is_range = 1;
    if (p < end && *p == '*') {
        a = lo;
        b = hi;
        p++;
    } else {
        if (read_num(&p, end, &a) < 0)
            return -1;
        b = a;
        is_range = 0;
        if (p < end && *p == '-') {
            p++;
            if (read_num(&p, end, &b) < 0)
                return -1;
            is_range = 1;
        }
    }
    if (p < end && *p == '/') {
        p++;
        if (!is_range || read_num(&p, end, &step) < 0 || step == 0)
            return -1;
    }
    if (p != end || a < lo || b > hi || a > b)
        return -1;
    for (int v = a; v <= b; v += step) {
        int idx = (field == F_DOW && v == 7) ? 0 : v - lo; /* 7 is Sunday too */
        set_bit(bits, idx);
    }
    return 0;
}

static int parse_field(const char *p, const char *end, int field, uint64_t *bits) {
    while (1) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end;
        if (parse_item(p, item_end, field, bits) < 0)
            return -1;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

static int is_space(char c) {
    return c == ' ' || c == '\t';
}

int cssf_cron_parse(const char *expr, cssf_cron_t *out) {
    if (!expr || !out || strnlen(expr, CSSF_CRON_MAX_LEN + 1) > CSSF_CRON_MAX_LEN)
        return -1;
    memset(out, 0, sizeof(*out));
    const char *p = expr;
    for (int f = 0; f < CSSF_CRON_FIELDS; f++) {
        while (is_space(*p))
            p++;
        const char *start = p;
        while (*p && !is_space(*p))
            p++;
        if (p == start || parse_field(start, p, f, out->bits[f]) < 0)
            return -1;
    }
    while (is_space(*p))
        p++;
    return *p ? -1 : 0;
}

int cssf_cron_match(const cssf_cron_t *c, const struct tm *utc) {
    int sec = utc->tm_sec > 59 ? 59 : utc->tm_sec; /* a leap second counts as :59 */
    int v[CSSF_CRON_FIELDS] = {
        sec,          utc->tm_min,         utc->tm_hour, utc->tm_mday, utc->tm_mon + 1,
        utc->tm_wday, utc->tm_year + 1900,
    };
    for (int f = 0; f < CSSF_CRON_FIELDS; f++) {
        int idx = v[f] - field_range[f].lo;
        if (idx < 0 || v[f] > field_range[f].hi || !test_bit(c->bits[f], idx))
            return 0;
    }
    return 1;
}

int cssf_cron_matches(const char *expr, time_t t) {
    cssf_cron_t c;
    struct tm utc;
    if (cssf_cron_parse(expr, &c) < 0 || !gmtime_r(&t, &utc))
        return -1;
    return cssf_cron_match(&c, &utc);
}
