/* Registered-AE lookups with a revision cache (see registered_ae.h). */
#include "plugin/authn/registered_ae.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cse/host.h"

#pragma weak cse_resource_get
#pragma weak cse_free

#define SLOTS 4096 /* a power of two */
#define STRIPES 64
#define RI_MAX 96 /* longer AE-IDs are looked up every time */

typedef struct slot {
    char ri[RI_MAX];
    uint64_t revision; /* 0: empty */
} slot_t;

struct cssf_registered_ae {
    pthread_mutex_t lock[STRIPES];
    slot_t slot[SLOTS];
};

cssf_registered_ae_t *cssf_registered_ae_create(void) {
    cssf_registered_ae_t *c = calloc(1, sizeof(*c));
    if (c)
        for (int i = 0; i < STRIPES; i++)
            pthread_mutex_init(&c->lock[i], NULL);
    return c;
}

void cssf_registered_ae_destroy(cssf_registered_ae_t *c) {
    if (!c)
        return;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&c->lock[i]);
    free(c);
}

static size_t slot_of(const char *ri) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)ri; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)(h & (SLOTS - 1));
}

/* The full check: read the resource, is it an AE whose ri is exactly ri?
 * (The host's lookup also resolves structured paths; an AE's ri is its
 * AE-ID, never a path.) Sets *revision when it is. */
static int read_is_ae(const char *ri, uint64_t *revision) {
    char *text = NULL;
    if (cse_resource_get(ri, UINT64_MAX, revision, &text) != 0 || !text)
        return 0;
    json_t *res = json_loads(text, 0, NULL);
    cse_free(text);
    const char *got = json_string_value(json_object_get(res, "ri"));
    int is_ae = json_integer_value(json_object_get(res, "ty")) == 2 && got && strcmp(got, ri) == 0;
    json_decref(res);
    return is_ae;
}

int cssf_registered_ae(cssf_registered_ae_t *c, const char *ri) {
    if (!ri || !*ri || strchr(ri, '/') || !cse_resource_get)
        return 0;
    size_t len = strlen(ri), i = slot_of(ri);
    pthread_mutex_t *lock = c ? &c->lock[i % STRIPES] : NULL;
    uint64_t known = 0;
    if (c && len < RI_MAX) {
        pthread_mutex_lock(lock);
        if (c->slot[i].revision && strcmp(c->slot[i].ri, ri) == 0)
            known = c->slot[i].revision;
        pthread_mutex_unlock(lock);
    }
    if (known && cse_resource_get(ri, known, NULL, NULL) == 1)
        return 1; /* the very resource seen to be this AE */
    uint64_t revision = 0;
    if (!read_is_ae(ri, &revision))
        return 0;
    if (c && len < RI_MAX && revision) {
        pthread_mutex_lock(lock);
        memcpy(c->slot[i].ri, ri, len + 1);
        c->slot[i].revision = revision;
        pthread_mutex_unlock(lock);
    }
    return 1;
}
