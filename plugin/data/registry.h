/*
 * The device registry (Data functionality): devices, their credentials and
 * the AE-IDs they may use, kept in the CSE's SQLite file with every PSK
 * sealed under the master key (seal.h), and served from an immutable
 * in-memory view with hash lookups by PSK identity, certificate SAN,
 * certificate fingerprint and OAuth client id, and O(log n) by device id.
 *
 * Lookups (PSK_LOOKUP, CERT_CHECK, AUTHENTICATE, aclr) never block on a
 * writer: they take a reference to the current view without a lock.
 * Writers (the admin API) are serialised; each commits to the store and
 * then publishes the next view, derived from the current one in O(log n)
 * (docs/registry.md), so a suspended or deleted device is refused from the
 * next lookup on. Start-up and key rotation rebuild the view from the
 * store. If a view cannot be built the registry fails closed (every lookup
 * answers CSSF_REG_ERROR) until a later rebuild succeeds.
 *
 * Owner: plugin/data (registry). The caller owns the registry handle; JSON
 * results are new references owned by the caller.
 */
#ifndef CSSF_DATA_REGISTRY_H
#define CSSF_DATA_REGISTRY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin/data/registry_device.h"

typedef struct cssf_registry cssf_registry_t;

typedef struct cssf_registry_options {
    const char *db_path;  /* the CSE's SQLite file */
    const char *key_path; /* master key file; created (0600) when missing and nothing is sealed */
    const char *host_cse_id; /* "/id-in" */
} cssf_registry_options_t;

/* Opens the store, checks or creates the master key and builds the first
 * view. 0, or -1 with a message for the operator in err. */
int cssf_registry_open(const cssf_registry_options_t *o, cssf_registry_t **out, char *err,
                       size_t err_cap);

/* Frees the registry; no call may be running on it. NULL is fine. */
void cssf_registry_close(cssf_registry_t *r);

/* Answers of the lookups. */
enum cssf_registry_answer {
    CSSF_REG_UNKNOWN = 0,   /* no device has this credential: ask another source */
    CSSF_REG_ACTIVE = 1,    /* a device, active */
    CSSF_REG_SUSPENDED = 2, /* a device, suspended: refuse */
    CSSF_REG_AAA = 3,       /* an active AAA-backed device: RADIUS holds its PSK */
    CSSF_REG_MISMATCH = 4,  /* a certificate that only half matches a device: refuse */
    CSSF_REG_ERROR = 5,     /* the registry cannot answer (fail closed) */
};

/*
 * PSK_LOOKUP: the key of PSK identity. With CSSF_REG_ACTIVE the unsealed
 * key is in key[0..*len) (cap bytes of room); the device id goes into
 * device (capacity device_cap, may be 0) whenever a device was found.
 */
int cssf_registry_psk(cssf_registry_t *r, const char *identity, uint8_t *key, size_t cap,
                      size_t *len, char *device, size_t device_cap);

/*
 * CERT_CHECK: a client certificate with SAN URI san (may be NULL) and
 * SHA-256 fingerprint sha256 (32 bytes). A device registered with the
 * fingerprint matches first (and, if it also names a SAN, needs that SAN);
 * then a device registered with the SAN (and, if it also pins a
 * fingerprint, needs that one). With CSSF_REG_ACTIVE the identity to bind
 * goes into identity: the SAN, or "sha256:<hex>" when matched by a
 * fingerprint alone.
 */
int cssf_registry_cert(cssf_registry_t *r, const char *san, const uint8_t *sha256, char *identity,
                       size_t identity_cap, char *device, size_t device_cap);

/*
 * AUTHENTICATE: the device behind an association identity (assoc_method of
 * enum cse_assoc_method: PSK identities for *_PSK, SAN or "sha256:<hex>"
 * for *_CERT). Returns UNKNOWN, ACTIVE, SUSPENDED or ERROR; device gets
 * the id when one was found.
 */
int cssf_registry_identity(cssf_registry_t *r, int assoc_method, const char *identity, char *device,
                           size_t device_cap);

/* 1 if the (active) device behind the identity may use From from, 0 if
 * not, -1 if no device has this identity. */
int cssf_registry_may_use(cssf_registry_t *r, int assoc_method, const char *identity,
                          const char *from);

/* The device of an OAuth client id: UNKNOWN, ACTIVE, SUSPENDED or ERROR. */
int cssf_registry_client(cssf_registry_t *r, const char *client_id, char *device,
                         size_t device_cap);

/*
 * aclr: the registered location of the device behind the association
 * identity, else of the first active device whose AE-IDs cover
 * originator. 0 when known (lat/lon NaN when only the country is known,
 * country "" when only coordinates are), -1 otherwise.
 */
int cssf_registry_locate(cssf_registry_t *r, int assoc_method, const char *identity,
                         const char *originator, double *lat, double *lon, char country[3]);

/* --- administration ------------------------------------------------------ */

/* Outcome of a change, numbered like the HTTP status the admin API sends. */
enum cssf_registry_status {
    CSSF_REG_OK = 200,
    CSSF_REG_CREATED = 201,
    CSSF_REG_NO_CONTENT = 204,
    CSSF_REG_INVALID = 400,
    CSSF_REG_NOT_FOUND = 404,
    CSSF_REG_CONFLICT = 409,
    CSSF_REG_FAILED = 500,
};

typedef struct cssf_registry_result {
    int status;                     /* enum cssf_registry_status */
    char field[96];                 /* with INVALID or CONFLICT: the field at fault */
    char error[256];                /* with any failure: a short reason */
    json_t *doc;                    /* with OK/CREATED: the public document (caller decrefs) */
    char psk[2 * CSSF_PSK_MAX + 1]; /* a generated key in hex, "" otherwise: shown once */
    /* What a change took away, for revocation (sessions, accounting). */
    char revoked_psk_identity[CSSF_DEVICE_TEXT_MAX + 1];
    char revoked_cert[CSSF_DEVICE_TEXT_MAX + 1];
} cssf_registry_result_t;

/* Wipes the generated key and drops doc. */
void cssf_registry_result_clear(cssf_registry_result_t *res);

typedef struct cssf_registry_filter {
    const char *state; /* "active" / "suspended" / NULL */
    const char *group;
    const char *label;
    const char *aeid; /* devices that may use this AE-ID */
    size_t limit;     /* 0 = default (100) */
    size_t offset;
} cssf_registry_filter_t;

/* {"devices":[...],"total":N,"limit":L,"offset":O}, ordered by id; NULL
 * when out of memory or when the registry cannot answer. */
json_t *cssf_registry_list(cssf_registry_t *r, const cssf_registry_filter_t *f);

/* The public document of device id, or NULL (no such device). */
json_t *cssf_registry_get(cssf_registry_t *r, const char *id);

/* POST: a new device from doc. A PSK identity without a key gets a key
 * from the DRBG, returned in res->psk (once: it is never shown again). */
void cssf_registry_create(cssf_registry_t *r, const json_t *doc, cssf_registry_result_t *res);

/* PUT (merge = 0: doc replaces the device) or PATCH (merge = 1: doc is a
 * JSON merge patch, RFC 7396). The id cannot change. A PSK identity whose
 * document gives no key keeps the current key, or gets a generated one. */
void cssf_registry_update(cssf_registry_t *r, const char *id, const json_t *doc, int merge,
                          cssf_registry_result_t *res);

/* suspend (1) / resume (0). */
void cssf_registry_set_suspended(cssf_registry_t *r, const char *id, int suspended,
                                 cssf_registry_result_t *res);

/* DELETE. */
void cssf_registry_delete(cssf_registry_t *r, const char *id, cssf_registry_result_t *res);

/* Generates a new master key and re-seals every secret under it in one
 * transaction; the key file is replaced only after that commit. */
void cssf_registry_rotate_key(cssf_registry_t *r, cssf_registry_result_t *res);

/* Health: devices in the view, whether the store answers, key id. */
typedef struct cssf_registry_health {
    size_t devices, suspended;
    int store_ok; /* 1 when the store answered */
    int stale;    /* 1 when the view could not be rebuilt (lookups fail closed) */
    char key_id[CSSF_DEVICE_ID_MAX];
    char error[256];
} cssf_registry_health_t;

void cssf_registry_health(cssf_registry_t *r, cssf_registry_health_t *h);

#endif
