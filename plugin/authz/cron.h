/*
 * accessControlWindow (actw) time windows: 7 cron-like fields
 * "sec min hour dom month dow year" in UTC (TS-0004 §6.3.5.27).
 * Each field is "*", "n", "a-b", "*" or "a-b" followed by "/step", or a
 * comma list of those. Fields are ANDed (dom and dow both must match).
 * Ranges: sec 0-59, min 0-59, hour 0-23, dom 1-31, month 1-12,
 * dow 0-7 (0 and 7 = Sunday), year 1970-2225.
 * Owner: plugin/authz. Pure functions, no allocation.
 */
#ifndef CSSF_AUTHZ_CRON_H
#define CSSF_AUTHZ_CRON_H

#include <stdint.h>
#include <time.h>

#define CSSF_CRON_FIELDS 7
#define CSSF_CRON_MAX_LEN 256 /* longest expression accepted */

typedef struct cssf_cron {
    uint64_t bits[CSSF_CRON_FIELDS][4]; /* bit (value - field minimum) */
} cssf_cron_t;

/* Parses expr into out. Returns 0, or -1 for an invalid expression (then
 * out is unspecified). */
int cssf_cron_parse(const char *expr, cssf_cron_t *out);

/* 1 when the UTC broken-down time utc falls inside the window, else 0. */
int cssf_cron_match(const cssf_cron_t *c, const struct tm *utc);

/* Parses and matches in one step: 1 match, 0 no match, -1 invalid. */
int cssf_cron_matches(const char *expr, time_t t);

#endif
