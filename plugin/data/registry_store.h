/*
 * The device registry's tables in the CSE's SQLite file, through the
 * plugin's own connection (WAL, busy timeout): cssf_devices (one row per
 * device: its public document, the indexed credentials, the sealed PSK)
 * and cssf_meta (key id of the master key the secrets are sealed under);
 * cssf_radius_secrets holds the rows of radius_secrets.h.
 * One writer at a time (the registry serialises writes). Owner:
 * plugin/data (registry).
 */
#ifndef CSSF_DATA_REGISTRY_STORE_H
#define CSSF_DATA_REGISTRY_STORE_H

#include <stddef.h>

#include "plugin/data/registry_device.h"

typedef struct cssf_regstore cssf_regstore_t;

/* Opens path (creating the tables). 0, or -1 with err. */
int cssf_regstore_open(const char *path, cssf_regstore_t **out, char *err, size_t err_cap);
void cssf_regstore_close(cssf_regstore_t *s);

/* Meta values: 1 found (value in out), 0 absent, -1 error. */
int cssf_regstore_meta_get(cssf_regstore_t *s, const char *key, char *out, size_t cap);
int cssf_regstore_meta_set(cssf_regstore_t *s, const char *key, const char *value);

/*
 * Reads every device, ordered by id, into a malloc'd array (*devs, *n;
 * free each with cssf_device_clear, then the array). Rows whose document
 * no longer validates are logged and left out (they cannot authenticate).
 * 0, or -1 with err.
 */
int cssf_regstore_load(cssf_regstore_t *s, const char *host_cse_id, cssf_device_t **devs, size_t *n,
                       char *err, size_t err_cap);

/* Inserts (insert = 1) or updates the row of d. Returns 0, 1 when a unique
 * column (id or a credential) is taken, 2 when the row to update is gone,
 * -1 on other errors (err). */
int cssf_regstore_put(cssf_regstore_t *s, const cssf_device_t *d, int insert, char *err,
                      size_t err_cap);

/* Deletes the row of id: 0, 1 when there is none, -1 on error. */
int cssf_regstore_delete(cssf_regstore_t *s, const char *id, char *err, size_t err_cap);

/* Transactions around several writes (BEGIN IMMEDIATE). 0 or -1. */
int cssf_regstore_begin(cssf_regstore_t *s);
int cssf_regstore_commit(cssf_regstore_t *s);
void cssf_regstore_rollback(cssf_regstore_t *s);

/* Runs fn on the store's connection under its statement lock, for tables
 * kept beside the registry's (same file, same transactions). Returns what
 * fn returns. */
struct sqlite3;
int cssf_regstore_run(cssf_regstore_t *s, int (*fn)(struct sqlite3 *db, void *arg), void *arg);

/* A cheap read to prove the store answers: 0, or -1 with err. */
int cssf_regstore_ping(cssf_regstore_t *s, char *err, size_t err_cap);

#endif
