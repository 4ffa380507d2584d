/*
 * Compact JWS parsing (RFC 7515) for bearer tokens and oneM2M dynamic-
 * authorization tokens: base64url, the protected header and the (not yet
 * verified) payload. Pure functions, no I/O: the signature is checked by
 * liboauth2 (token_keys.h); this layer decides what reaches it.
 * Owner: plugin/authn (tokens).
 */
#ifndef CSSF_AUTHN_TOKEN_JWS_H
#define CSSF_AUTHN_TOKEN_JWS_H

#include <jansson.h>
#include <stddef.h>

#define CSSF_TOKEN_MAX_LEN 8192    /* a longer token is refused, never truncated */
#define CSSF_TOKEN_MAX_HEADER 1024 /* decoded protected header */
#define CSSF_TOKEN_MAX_TKNS 8      /* JWS in one tkns list */

/* What a token string looks like, before any parsing. */
enum cssf_token_form {
    CSSF_TOKEN_MALFORMED = 0, /* empty, too long or outside the b64token alphabet */
    CSSF_TOKEN_OPAQUE = 1,    /* no JWS structure: introspect it */
    CSSF_TOKEN_JWS = 2,       /* header.payload.signature */
    CSSF_TOKEN_JWE = 3,       /* five parts: encrypted, not supported */
};

/* A parsed compact JWS. header and payload are owned (cssf_jws_clear). */
typedef struct cssf_jws {
    char alg[16];
    char typ[48]; /* "" when absent */
    char kid[128];
    int has_kid;
    json_t *header;
    json_t *payload; /* NOT verified: only for checks that precede the signature */
} cssf_jws_t;

/* Classifies token (NUL-terminated) by its shape (enum cssf_token_form). */
int cssf_token_form(const char *token);

/*
 * Decodes unpadded base64url in[0..len) into out (capacity cap). Returns
 * the decoded length, or -1 for a character outside the alphabet, padding,
 * an impossible length, non-zero trailing bits or an output that does not
 * fit.
 */
long cssf_b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap);

/*
 * Parses a compact JWS of len bytes. Refuses (returns -1, reason in err):
 * a structure other than three parts, a header or payload that is not a
 * JSON object (duplicate members included), a missing or non-string alg,
 * a non-string typ or kid, a "crit" header (no extension is understood).
 * On success returns 0 and fills out (cleared first); the caller frees it
 * with cssf_jws_clear. alg "none" parses: refusing it is the caller's
 * policy check (cssf_jws_alg_allowed), so it can say why.
 */
int cssf_jws_parse(const char *token, size_t len, cssf_jws_t *out, char *err, size_t err_cap);

/* Frees what cssf_jws_parse allocated; out may be zeroed or cleared. */
void cssf_jws_clear(cssf_jws_t *jws);

/*
 * Splits a tkns value (JWS joined by '+') into at most max parts: starts[i]
 * and lens[i] point into list. Returns the number of parts, or -1 for an
 * empty part or more than max parts.
 */
int cssf_tkns_split(const char *list, const char **starts, size_t *lens, int max);

#endif
