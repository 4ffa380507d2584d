/* Random bytes from CTR_DRBG (see seal_rng.h). */
#include "plugin/data/seal_rng.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct cssf_rng {
    pthread_mutex_t lock;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

cssf_rng_t *cssf_rng_create(const char *personalization) {
    cssf_rng_t *rng = calloc(1, sizeof(*rng));
    if (!rng)
        return NULL;
    pthread_mutex_init(&rng->lock, NULL);
    mbedtls_entropy_init(&rng->entropy);
    mbedtls_ctr_drbg_init(&rng->drbg);
    const char *p = personalization ? personalization : "cssf";
    if (mbedtls_ctr_drbg_seed(&rng->drbg, mbedtls_entropy_func, &rng->entropy,
                              (const unsigned char *)p, strlen(p)) != 0) {
        cssf_rng_destroy(rng);
        return NULL;
    }
    return rng;
}

int cssf_rng_bytes(cssf_rng_t *rng, uint8_t *buf, size_t n) {
    int rc = 0;
    pthread_mutex_lock(&rng->lock);
    /* mbedtls_ctr_drbg_random hands out at most MBEDTLS_CTR_DRBG_MAX_REQUEST
     * bytes per call. */
    for (size_t off = 0; off < n && rc == 0;) {
        size_t chunk =
            n - off > MBEDTLS_CTR_DRBG_MAX_REQUEST ? MBEDTLS_CTR_DRBG_MAX_REQUEST : n - off;
        rc = mbedtls_ctr_drbg_random(&rng->drbg, buf + off, chunk);
        off += chunk;
    }
    pthread_mutex_unlock(&rng->lock);
    if (rc != 0) {
        memset(buf, 0, n);
        return -1;
    }
    return 0;
}

void cssf_rng_destroy(cssf_rng_t *rng) {
    if (!rng)
        return;
    mbedtls_ctr_drbg_free(&rng->drbg);
    mbedtls_entropy_free(&rng->entropy);
    pthread_mutex_destroy(&rng->lock);
    free(rng);
}
