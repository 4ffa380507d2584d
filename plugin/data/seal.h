/*
 * Sealed secrets: AES-256-GCM under the master key, and the master key
 * file itself. A sealed blob is
 *     0x01 | nonce (12 bytes, random) | ciphertext | tag (16 bytes)
 * and is bound to a context string (the device id) through the GCM
 * additional data, so a blob copied into another record does not open.
 *
 * The key file holds the 32-byte key as 64 hex digits and a newline. It is
 * created with mode 0600 and refused when group or others may read or
 * write it. Owner: plugin/data (seal). Pure functions apart from the file
 * helpers; the caller owns every buffer.
 */
#ifndef CSSF_DATA_SEAL_H
#define CSSF_DATA_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/data/seal_rng.h"

#define CSSF_SEAL_KEY_LEN 32
#define CSSF_SEAL_NONCE_LEN 12
#define CSSF_SEAL_TAG_LEN 16
#define CSSF_SEAL_OVERHEAD (1 + CSSF_SEAL_NONCE_LEN + CSSF_SEAL_TAG_LEN)
#define CSSF_SEAL_KEY_ID_LEN 16 /* hex digits of the key id */

typedef struct cssf_seal_key {
    uint8_t k[CSSF_SEAL_KEY_LEN];
    char id[CSSF_SEAL_KEY_ID_LEN + 1]; /* first 8 bytes of SHA-256(k) in hex */
} cssf_seal_key_t;

/* Sets key->k from raw bytes and computes its id. 0 or -1. */
int cssf_seal_key_set(cssf_seal_key_t *key, const uint8_t raw[CSSF_SEAL_KEY_LEN]);

/* A fresh random key. 0 or -1. */
int cssf_seal_key_generate(cssf_seal_key_t *key, cssf_rng_t *rng);

/* Overwrites the key material. */
void cssf_seal_key_wipe(cssf_seal_key_t *key);

/*
 * Seals pt[0..len) under key, bound to context (may be ""). out needs
 * len + CSSF_SEAL_OVERHEAD bytes (cap); *out_len gets the blob length.
 * Returns 0, or -1 (bad arguments, no randomness, crypto failure).
 */
int cssf_seal(const cssf_seal_key_t *key, cssf_rng_t *rng, const uint8_t *pt, size_t len,
              const char *context, uint8_t *out, size_t cap, size_t *out_len);

/*
 * Opens a blob sealed under key with the same context into pt (capacity
 * cap; blob length - CSSF_SEAL_OVERHEAD bytes suffice). Returns 0 with
 * *pt_len set, or -1 when the blob is malformed, was sealed under another
 * key or context, or was altered (pt is then zeroed).
 */
int cssf_unseal(const cssf_seal_key_t *key, const uint8_t *blob, size_t len, const char *context,
                uint8_t *pt, size_t cap, size_t *pt_len);

/*
 * Reads the key file at path into key. Refuses (-1 with a message for the
 * operator in err) a file that is missing, not a regular file, readable or
 * writable by group or others, or not 64 hex digits. A missing file sets
 * *missing = 1 (may be NULL) so the caller can decide to create it.
 */
int cssf_seal_keyfile_read(const char *path, cssf_seal_key_t *key, int *missing, char *err,
                           size_t err_cap);

/*
 * Writes key to path with mode 0600: into path.tmp first, fsync, then
 * renamed over path (or, with exclusive = 1, linked to path so an existing
 * file is never replaced), then the directory is synced. 0 or -1 with err.
 */
int cssf_seal_keyfile_write(const char *path, const cssf_seal_key_t *key, int exclusive, char *err,
                            size_t err_cap);

#endif
