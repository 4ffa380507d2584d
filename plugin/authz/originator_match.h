/*
 * accessControlOriginators (acor) matching: "all", SP domains, CSE-IDs,
 * AE-IDs (with the "*" wildcard that stops at "/"), <group> IDs and role
 * IDs (name@fqdn). IDs are compared in one absolute form, so "Cabc",
 * "/id-in/Cabc" and "//sp.example/id-in/Cabc" name the same AE.
 * Owner: plugin/authz. Pure functions, no allocation.
 */
#ifndef CSSF_AUTHZ_ORIGINATOR_MATCH_H
#define CSSF_AUTHZ_ORIGINATOR_MATCH_H

#include <stddef.h>

#include "plugin/authz/authorize.h"

#define CSSF_ID_MAX 512 /* longest normalized ID */

/* The hosting CSE's identity, used to complete relative IDs. */
typedef struct cssf_ids {
    const char *cse_id; /* SP-relative CSE-ID with its slash, e.g. "/id-in" */
    const char *sp;     /* SP domain, lower case, without slashes, e.g. "sp.example" */
} cssf_ids_t;

enum cssf_acor_kind {
    CSSF_ACOR_ALL = 1,    /* "all" */
    CSSF_ACOR_ID = 2,     /* CSE-ID, AE-ID or <group> ID; norm is the absolute form */
    CSSF_ACOR_DOMAIN = 3, /* SP domain; norm is the lower-case domain */
    CSSF_ACOR_ROLE = 4,   /* role ID name@fqdn; norm is the entry */
};

/* One acor entry, prepared once when the ACP is parsed (strings owned by
 * the parsed ACP). */
typedef struct cssf_acor {
    int kind;
    const char *raw; /* as written in the ACP */
    const char *norm;
    size_t norm_len;
    size_t literal_len; /* characters of norm before its first '*' */
} cssf_acor_t;

/* Writes the absolute form of id into out: "//sp/..." for SP-relative IDs
 * ("/cse/..."), CSE-relative AE-IDs ("C...") and SP-relative AE-IDs ("S...");
 * the domain is lower-cased; anything else is copied unchanged. Returns the
 * length, or -1 when it does not fit into cap. */
int cssf_id_normalize(const char *id, const cssf_ids_t *ids, char *out, size_t cap);

/* Kind of an acor entry (enum cssf_acor_kind). */
int cssf_acor_classify(const char *entry);

/* Writes the entry's norm (see cssf_acor_t) into out. Returns its length,
 * or -1 when it does not fit. */
int cssf_acor_normalize(const char *entry, int kind, const cssf_ids_t *ids, char *out, size_t cap);

/* Fills e (strings borrowed: they must outlive e). */
void cssf_acor_init(cssf_acor_t *e, int kind, const char *raw, const char *norm);

/* 1 when s matches pattern; "*" matches any run of characters except "/". */
int cssf_wildcard_match(const char *pattern, const char *s);

/* 1 when role ("name@fqdn") equals want (name exact, fqdn ignoring case). */
int cssf_role_equal(const char *role, const char *want);

/* 1 when the originator (raw and normalized forms, norm_len = strlen of
 * orig_norm) matches entry, using env's roles and group hook (env may be
 * NULL). */
int cssf_acor_match(const cssf_acor_t *entry, const char *orig_raw, const char *orig_norm,
                    size_t norm_len, const cssf_authz_env_t *env);

#endif
