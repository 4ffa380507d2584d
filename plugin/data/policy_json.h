/*
 * Validation helpers for policy JSON: the current JSON path
 * ("$.acps[2].pv.acr[0].acop") and typed reads that report a problem at
 * that path instead of failing silently. Used by policy_main.c and
 * policy_acp.c; no I/O.
 */
#ifndef CSSF_DATA_POLICY_JSON_H
#define CSSF_DATA_POLICY_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "plugin/data/policy_report.h"

#define CSSF_JPATH_MAX 512
#define CSSF_POLICY_MAX_STRING 1024 /* longest string value accepted */

typedef struct cssf_pctx {
    const char *file;
    cssf_policy_report_t *rep;
    char path[CSSF_JPATH_MAX];
    size_t len;
    size_t problems; /* added by this context */
} cssf_pctx_t;

void cssf_pctx_init(cssf_pctx_t *c, const char *file, cssf_policy_report_t *rep);

/* Reports a problem at the current path. */
void cssf_pctx_err(cssf_pctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Descends into key / index; each returns the previous length for pop. */
size_t cssf_pctx_key(cssf_pctx_t *c, const char *key);
size_t cssf_pctx_index(cssf_pctx_t *c, size_t i);
void cssf_pctx_pop(cssf_pctx_t *c, size_t saved);

/* Reports each key of obj that is not in the NULL-terminated list allowed
 * as "unknown key". Returns the number of unknown keys. */
size_t cssf_pctx_known_keys(cssf_pctx_t *c, const json_t *obj, const char *const *allowed);

/* Parses text (with a size limit and no duplicate keys). Reports a syntax
 * problem at "$" with line and column. Returns a new reference or NULL. */
json_t *cssf_pctx_parse(cssf_pctx_t *c, const char *text, size_t len);

/* Checks that value (at the current path) is a non-empty string without
 * control characters, at most CSSF_POLICY_MAX_STRING bytes. 0 ok, -1 reported. */
int cssf_pctx_check_string(cssf_pctx_t *c, const json_t *value);

/*
 * Reads an array of strings at the current path into a NULL-free list of
 * owned copies (out->v, out->n; free with cssf_strlist_free). Empty arrays
 * are accepted only with allow_empty. Returns 0 or -1 (reported).
 */
struct cssf_strlist;
int cssf_pctx_strlist(cssf_pctx_t *c, const json_t *value, int allow_empty,
                      struct cssf_strlist *out);

void cssf_strlist_free(struct cssf_strlist *l);

#endif
