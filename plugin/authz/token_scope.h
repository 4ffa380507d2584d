/*
 * OAuth scopes as oneM2M rights: the `scopes` map of the policy's tokens
 * section says which operations a scope grants under which path, e.g.
 *   "cse.read": {"ops": ["RETRIEVE", "DISCOVERY"], "under": "/cse-in"}
 * (a list of such objects grants their union). Pure functions without
 * I/O: parsing the map and deciding one request.
 * Owner: plugin/authz (token scopes).
 */
#ifndef CSSF_AUTHZ_TOKEN_SCOPE_H
#define CSSF_AUTHZ_TOKEN_SCOPE_H

#include <jansson.h>
#include <stddef.h>

#define CSSF_SCOPE_MAX_GRANTS 256
#define CSSF_SCOPE_MAX_TEXT 1024 /* scopes of one token, space-separated */

typedef struct cssf_scope_grant {
    char *scope;  /* the scope value as it appears in tokens */
    unsigned ops; /* bit (1 << enum cse_operation) per granted operation */
    char *under;  /* structured path prefix with one leading '/'; "/" = the whole CSE */
} cssf_scope_grant_t;

typedef struct cssf_scope_map {
    cssf_scope_grant_t *v; /* owned */
    size_t n;
} cssf_scope_map_t;

/*
 * Parses the scopes object (NULL = no scopes grant anything). Operation
 * names: CREATE RETRIEVE UPDATE DELETE NOTIFY DISCOVERY (any case).
 * Returns 0 and fills out (free with cssf_scope_map_clear), or -1 with the
 * problem in err ("scopes.cse.read.ops[1]: unknown operation 'READ'").
 */
int cssf_scope_map_parse(const json_t *scopes, cssf_scope_map_t *out, char *err, size_t err_cap);

void cssf_scope_map_clear(cssf_scope_map_t *m);

/* 1 when path (structured, with or without its leading '/') is prefix or
 * lies below it; "/cse-in" covers "/cse-in/ae1" but not "/cse-inx". */
int cssf_scope_path_under(const char *prefix, const char *path);

/*
 * The scopes a token carries, space-separated, into out: its "scope"
 * string (RFC 8693 / RFC 9068) or its "scp" array. Returns the number of
 * characters written, 0 when the token has none, -1 when they do not fit
 * or are malformed (out is then "").
 */
int cssf_scope_from_claims(const json_t *claims, char *out, size_t cap);

/*
 * 1 when one of the space-separated token_scopes grants operation (enum
 * cse_operation) on the resource at target_path; matched (capacity cap)
 * then names it, e.g. "scope=cse.read under=/cse-in". 0 otherwise.
 */
int cssf_scope_permits(const cssf_scope_map_t *m, const char *token_scopes, int operation,
                       const char *target_path, char *matched, size_t cap);

#endif
