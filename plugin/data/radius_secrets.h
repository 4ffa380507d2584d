/*
 * RADIUS shared secrets sealed at rest: one row per RADIUS server, named
 * "host:port" ("[v6]:port"), and one for the PSK-lookup password (named
 * CSSF_RADIUS_SECRETS_PSK_PASSWORD), in the registry's SQLite file
 * (table cssf_radius_secrets), each sealed AES-256-GCM under the master
 * key like the devices' PSKs (seal.h). The GCM context is "radius:<name>",
 * so a blob copied into another row does not open. Key rotation re-seals
 * these rows in the transaction that re-seals the devices.
 *
 * Writes are serialised with the registry's other changes (its write
 * lock). Values never leave this module except through get. Owner:
 * plugin/data (registry).
 */
#ifndef CSSF_DATA_RADIUS_SECRETS_H
#define CSSF_DATA_RADIUS_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/data/registry.h"
#include "plugin/data/registry_store.h"
#include "plugin/data/seal.h"

#define CSSF_RADIUS_SECRETS_PSK_PASSWORD "psk-password"
#define CSSF_RADIUS_SECRET_MAX 128 /* RFC 2865 User-Password / FreeRADIUS secret limit */
#define CSSF_RADIUS_SECRET_NAME_MAX 216
#define CSSF_RADIUS_SECRETS_ROWS 64 /* at most this many rows */

typedef struct cssf_radius_secret_info {
    char name[CSSF_RADIUS_SECRET_NAME_MAX];
    char key_id[CSSF_SEAL_KEY_ID_LEN + 1]; /* master key the row is sealed under */
    char updated[24];                      /* "2026-01-31T12:00:00Z" */
} cssf_radius_secret_info_t;

/* 1 if name is "host:port" (host an IPv4 literal, a DNS name or a
 * bracketed IPv6 literal; port 1..65535 in decimal without leading zeros)
 * or the PSK-lookup password's name; 0 otherwise. */
int cssf_radius_secrets_name_ok(const char *name);

/* 1 if secret[0..len) is 1..128 bytes without NUL. */
int cssf_radius_secrets_value_ok(const char *secret, size_t len);

/* The GCM context of name: "radius:<name>". */
void cssf_radius_secrets_context(const char *name, char *out, size_t cap);

/*
 * Seals secret under the current master key and stores it as name's row
 * (replacing one). Returns 0 (*created = 1 when the row is new, info
 * filled), 1 when the row limit is reached, -1 with err on a bad name or
 * value, a sealing or store failure.
 */
int cssf_radius_secrets_put(cssf_registry_t *r, const char *name, const char *secret, size_t len,
                            int *created, cssf_radius_secret_info_t *info, char *err,
                            size_t err_cap);

/* The secret of name: 1 with out[0..*len) (cap bytes of room), 0 when
 * there is no row, -1 when the store fails or the row does not open. */
int cssf_radius_secrets_get(cssf_registry_t *r, const char *name, uint8_t *out, size_t cap,
                            size_t *len);

/* The row of name without its value: 1 found, 0 none, -1 store failure. */
int cssf_radius_secrets_info(cssf_registry_t *r, const char *name, cssf_radius_secret_info_t *out);

/* Deletes name's row: 0, 1 when there is none, -1 with err. */
int cssf_radius_secrets_delete(cssf_registry_t *r, const char *name, char *err, size_t err_cap);

/* Every row, ordered by name, up to cap: 0 with *n, or -1 with err. */
int cssf_radius_secrets_list(cssf_registry_t *r, cssf_radius_secret_info_t *out, size_t cap,
                             size_t *n, char *err, size_t err_cap);

/*
 * Re-seals every row from key old to key next inside the caller's
 * transaction (the registry's key rotation; its write lock held). 0 with
 * *count rows re-sealed, or -1 with err (a row that does not open under
 * old, or a store failure): the caller rolls back.
 */
int cssf_radius_secrets_reseal(cssf_regstore_t *s, const cssf_seal_key_t *old,
                               const cssf_seal_key_t *next, cssf_rng_t *rng, size_t *count,
                               char *err, size_t err_cap);

#endif
