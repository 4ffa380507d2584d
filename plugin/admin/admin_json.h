/*
 * Input parsing of the admin API without I/O: the query string, URL
 * decoding, the content type and the JSON body, each with explicit
 * limits. Fuzzed by tests/fuzz/fuzz_admin_json.c. Owner: plugin/admin.
 */
#ifndef CSSF_ADMIN_JSON_H
#define CSSF_ADMIN_JSON_H

#include <jansson.h>
#include <stddef.h>

#define CSSF_ADMIN_QUERY_MAX 16
#define CSSF_ADMIN_QUERY_KEY_MAX 32
#define CSSF_ADMIN_QUERY_VALUE_MAX 256

typedef struct cssf_admin_query {
    size_t n;
    char key[CSSF_ADMIN_QUERY_MAX][CSSF_ADMIN_QUERY_KEY_MAX];
    char value[CSSF_ADMIN_QUERY_MAX][CSSF_ADMIN_QUERY_VALUE_MAX];
} cssf_admin_query_t;

/* Decodes %XX and '+' (as space, only with plus_space) of in[0..n) into
 * out (capacity cap, NUL-terminated). Refuses bad escapes, NUL bytes and
 * overflow: returns the length or -1. */
long cssf_admin_url_decode(const char *in, size_t n, char *out, size_t cap, int plus_space);

/* Parses "k=v&k2=v2" (raw may be NULL or ""). A parameter without '=' has
 * the value "". Repeated keys are refused. 0, or -1 with why. */
int cssf_admin_query_parse(const char *raw, cssf_admin_query_t *q, char *why, size_t why_cap);

/* The value of key, or NULL. */
const char *cssf_admin_query_get(const cssf_admin_query_t *q, const char *key);

/* Parses a decimal count 0..max; 0, or -1. */
int cssf_admin_parse_count(const char *s, size_t max, size_t *out);

/* 1 for "application/json" with optional parameters, any case. */
int cssf_admin_json_type(const char *content_type);

/*
 * Parses body as one JSON object. Returns a new reference, or NULL with
 * *status (413 above max bytes, 415 not JSON, 400 malformed or not an
 * object) and a reason in why.
 */
json_t *cssf_admin_parse_object(const char *body, size_t len, size_t max, const char *content_type,
                                int *status, char *why, size_t why_cap);

#endif
