/*
 * Problems found while loading policy files: "FILE: JSON-PATH: reason".
 * The report owns its strings; one report per load.
 */
#ifndef CSSF_DATA_POLICY_REPORT_H
#define CSSF_DATA_POLICY_REPORT_H

#include <stddef.h>
#include <stdio.h>

#define CSSF_POLICY_REPORT_MAX 200 /* further problems are counted, not kept */

typedef struct cssf_policy_problem {
    char *file;   /* as opened, e.g. "policies/acps/sensors.json" */
    char *path;   /* JSON path, e.g. "$.acps[2].pv.acr[0].acop" */
    char *reason; /* short text */
} cssf_policy_problem_t;

typedef struct cssf_policy_report {
    cssf_policy_problem_t items[CSSF_POLICY_REPORT_MAX];
    size_t n;     /* kept */
    size_t total; /* found (>= n) */
    int oom;      /* an allocation failed; total stays right */
} cssf_policy_report_t;

/* Zeroes rep (no allocation). */
void cssf_policy_report_init(cssf_policy_report_t *rep);
/* Frees every kept problem; rep can be reused after init. */
void cssf_policy_report_clear(cssf_policy_report_t *rep);

/* Records one problem (strings are copied). */
void cssf_policy_report_add(cssf_policy_report_t *rep, const char *file, const char *path,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Writes one "FILE: JSON-PATH: reason" line per problem to out, plus a
 * line counting the problems that were not kept. */
void cssf_policy_report_print(const cssf_policy_report_t *rep, FILE *out);

/* Formats problem i as "FILE: JSON-PATH: reason" into buf. */
void cssf_policy_report_format(const cssf_policy_report_t *rep, size_t i, char *buf, size_t cap);

#endif
