/*
 * Random bytes for keys, nonces and generated PSKs: one mbedTLS CTR_DRBG
 * seeded from the system entropy source, behind a mutex so any thread may
 * draw from it. Owner: plugin/data (seal). The caller owns the handle.
 */
#ifndef CSSF_DATA_SEAL_RNG_H
#define CSSF_DATA_SEAL_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct cssf_rng cssf_rng_t;

/* A seeded generator (personalization names the use), or NULL when the
 * entropy source fails or memory runs out. */
cssf_rng_t *cssf_rng_create(const char *personalization);

/* Fills buf with n random bytes. 0, or -1 (buf is then zeroed). */
int cssf_rng_bytes(cssf_rng_t *rng, uint8_t *buf, size_t n);

/* Wipes and frees the generator. NULL is fine. */
void cssf_rng_destroy(cssf_rng_t *rng);

#endif
