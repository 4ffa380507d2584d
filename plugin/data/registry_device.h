/*
 * A registered device: who it is (id), which AE-IDs it may use as From,
 * how it proves itself (PSK, certificate, OAuth client, AAA), where it is
 * registered (for aclr), its labels and state. This file holds the pure
 * part: parsing and validating a device document (the JSON of the admin
 * API, see docs/registry.md), rendering the public document (never a
 * secret) and the From check. No I/O. Owner: plugin/data (registry).
 */
#ifndef CSSF_DATA_REGISTRY_DEVICE_H
#define CSSF_DATA_REGISTRY_DEVICE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CSSF_DEVICE_ID_MAX 64
#define CSSF_DEVICE_MAX_AEIDS 32
#define CSSF_DEVICE_AEID_MAX 128
#define CSSF_DEVICE_MAX_LABELS 32
#define CSSF_DEVICE_LABEL_MAX 64
#define CSSF_DEVICE_TEXT_MAX 256 /* PSK identity, SAN, client id */
#define CSSF_PSK_MIN 16          /* bytes; shorter keys are refused as weak */
#define CSSF_PSK_MAX 32          /* bytes; the DTLS stack accepts no longer key */
#define CSSF_PSK_GENERATED 32    /* bytes of a generated key */

typedef struct cssf_device {
    char *id;
    char **aeids; /* AE-ID patterns ('*' stops at '/') */
    size_t naeids;
    char *psk_identity;        /* NULL: no PSK */
    uint8_t psk[CSSF_PSK_MAX]; /* plaintext key of an input, wiped after sealing */
    size_t psk_len;            /* 0: no key given */
    uint8_t *psk_sealed;       /* sealed key of a stored record, or NULL */
    size_t psk_sealed_len;
    char *cert_san;       /* NULL: none */
    char cert_sha256[65]; /* "" or 64 lower-case hex digits */
    char *client_id;      /* OAuth client id, NULL: none */
    int aaa;              /* credentials checked by RADIUS */
    char *group;          /* NULL: none */
    int has_latlon;
    double lat, lon;
    char country[3]; /* "" or ISO 3166 alpha-2, upper case */
    char **labels;
    size_t nlabels;
    int suspended;
    char created[32], updated[32]; /* "2024-05-01T12:00:00Z", "" in an input */
} cssf_device_t;

/* Where a document is wrong: a dotted field path and a short message. */
typedef struct cssf_device_error {
    char field[96];
    char msg[192];
} cssf_device_error_t;

/*
 * Parses and validates doc (a JSON object) into out (zeroed first; free
 * with cssf_device_clear). Unknown members are errors; "created" and
 * "updated" are accepted and ignored (they are read-only), so a document
 * read with GET can be edited and PUT back. host_cse_id ("/id-in", may be
 * NULL) tells this CSE's ID apart from AE-IDs. Returns 0, or -1 with err.
 */
int cssf_device_parse(const json_t *doc, const char *host_cse_id, cssf_device_t *out,
                      cssf_device_error_t *err);

/* The public document: every attribute except the PSK key. New reference. */
json_t *cssf_device_to_json(const cssf_device_t *d);

/* Frees what d owns and wipes its key material; d can be reused. */
void cssf_device_clear(cssf_device_t *d);

/* 1 if pattern is a valid AE-ID pattern (see docs/registry.md), else 0 with
 * the reason in why. */
int cssf_device_aeid_pattern_ok(const char *pattern, const char *host_cse_id, char *why,
                                size_t why_cap);

/* 1 if d may speak as From from: one of its AE-ID patterns matches from or
 * the other spelling of the same AE ("/id-in/Cabc" vs "Cabc"). */
int cssf_device_may_use(const cssf_device_t *d, const char *from, const char *host_cse_id);

/* Parses 32..64 hex digits into key; 0, or -1 with why. Keys whose bytes
 * are all equal are refused as weak. */
int cssf_device_psk_parse(const char *hex, uint8_t *key, size_t *len, char *why, size_t why_cap);

#endif
