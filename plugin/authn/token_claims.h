/*
 * Claim checks that the plugin makes itself on every use of a token, after
 * liboauth2 verified the signature: liboauth2 treats exp as optional and
 * never checks iss or aud (docs/oauth.md). Pure functions of the claims,
 * the rules and the time, so unit tests reach every branch.
 * Owner: plugin/authn (tokens).
 */
#ifndef CSSF_AUTHN_TOKEN_CLAIMS_H
#define CSSF_AUTHN_TOKEN_CLAIMS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Claim names: a token from a oneM2M Dynamic Authorization Server may use
 * the short names (tkna, tknb, ...) instead of the JWT ones. */
typedef struct cssf_claim_names {
    const char *exp, *exp_alt;
    const char *nbf, *nbf_alt;
} cssf_claim_names_t;

typedef struct cssf_claim_rules {
    const char *issuer;           /* iss must equal it; NULL: iss not checked */
    const char *const *audiences; /* aud must contain one of them */
    size_t naudiences;            /* 0: aud not checked */
    int aud_patterns;             /* 1: aud entries are patterns ('*') matched against audiences */
    int exp_required;             /* 1: a token without exp is refused */
    int64_t skew;                 /* seconds of clock difference tolerated */
    const cssf_claim_names_t *names; /* NULL: the JWT names */
} cssf_claim_rules_t;

/* The time claims of a token as integers: exp INT64_MAX, nbf and iat
 * INT64_MIN when the token has none. */
typedef struct cssf_claim_times {
    int64_t exp, nbf, iat;
} cssf_claim_times_t;

/* Checks times (taken from claims that passed cssf_claims_check_times)
 * at now with skew seconds of tolerance. 0, or -1 with the same reasons
 * cssf_claims_check gives. */
int cssf_claim_times_check(const cssf_claim_times_t *times, int64_t skew, int64_t now, char *reason,
                           size_t reason_cap);

/*
 * Reads a time claim (name, or alt when name is absent): a NumericDate
 * (seconds since the epoch, fractions dropped) or a oneM2M timestamp
 * "YYYYMMDDTHHMMSS[,ffffff]" (UTC). Returns 1 with *out set, 0 when absent,
 * -1 when present but malformed.
 */
int cssf_claim_time(const json_t *claims, const char *name, const char *alt, int64_t *out);

/* Parses a oneM2M timestamp into seconds since the epoch (UTC). Returns 0,
 * or -1 when malformed. */
int cssf_m2m_time_parse(const char *s, int64_t *out);

/*
 * 1 when aud (a string or an array of strings) contains one of want[0..n);
 * with patterns, each aud entry is a pattern ('*' matches any run of
 * characters except '/') tried against want. 0 otherwise (also for a
 * missing or malformed aud).
 */
int cssf_claim_aud_matches(const json_t *aud, const char *const *want, size_t n, int patterns);

/*
 * Checks iss, aud, exp, nbf and iat of claims under rules at time now.
 * Returns 0, or -1 with a short reason in reason ("token expired", "wrong
 * audience", ...). *expires (may be NULL) gets exp, or INT64_MAX when the
 * token has none (only possible when exp is not required).
 */
int cssf_claims_check(const json_t *claims, const cssf_claim_rules_t *rules, int64_t now,
                      int64_t *expires, char *reason, size_t reason_cap);

/* cssf_claims_check that also hands out the time claims in *times. */
int cssf_claims_check_times(const json_t *claims, const cssf_claim_rules_t *rules, int64_t now,
                            cssf_claim_times_t *times, char *reason, size_t reason_cap);

/* The subject a token names: sub, else client_id; NULL when neither is a
 * non-empty string. Borrowed from claims. */
const char *cssf_claim_subject(const json_t *claims);

/* 1 when typ (the JWS header value, case-insensitive, an optional
 * "application/" prefix ignored) is one of types[0..n). */
int cssf_claim_typ_allowed(const char *typ, const char *const *types, size_t n);

#endif
