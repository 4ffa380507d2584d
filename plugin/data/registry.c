/* The device registry: views, lookups and changes (see registry.h). */
#include "plugin/data/registry.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cse/host.h"
#include "cse/plugin.h"
#include "plugin/data/registry_internal.h"

/* --- views ----------------------------------------------------------------- */

void cssf_registry_view_release(cssf_regview_t *v) {
    if (!v || atomic_fetch_sub(&v->refs, 1) != 1)
        return;
    for (size_t i = 0; i < v->n; i++)
        cssf_device_clear(&v->devs[i]);
    free(v->devs);
    cssf_strmap_free(&v->by_id);
    cssf_strmap_free(&v->by_psk);
    cssf_strmap_free(&v->by_san);
    cssf_strmap_free(&v->by_fp);
    cssf_strmap_free(&v->by_client);
    cssf_seal_key_wipe(&v->key);
    free(v);
}

/* See registry_internal.h. */
cssf_regview_t *cssf_registry_view_acquire(cssf_registry_t *r) {
    if (atomic_load(&r->stale))
        return NULL;
    pthread_mutex_lock(&r->view_lock);
    cssf_regview_t *v = r->view;
    if (v)
        atomic_fetch_add(&v->refs, 1);
    pthread_mutex_unlock(&r->view_lock);
    return v;
}

/* Builds a view over devs (taken over, also on failure). */
static cssf_regview_t *view_build(cssf_device_t *devs, size_t n, const cssf_seal_key_t *key) {
    cssf_regview_t *v = calloc(1, sizeof(*v));
    if (!v) {
        for (size_t i = 0; i < n; i++)
            cssf_device_clear(&devs[i]);
        free(devs);
        return NULL;
    }
    atomic_init(&v->refs, 1);
    v->devs = devs;
    v->n = n;
    v->key = *key;
    if (cssf_strmap_init(&v->by_id, n) < 0 || cssf_strmap_init(&v->by_psk, n) < 0 ||
        cssf_strmap_init(&v->by_san, n) < 0 || cssf_strmap_init(&v->by_fp, n) < 0 ||
        cssf_strmap_init(&v->by_client, n) < 0) {
        cssf_registry_view_release(v);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        cssf_device_t *d = &devs[i];
        v->suspended += d->suspended != 0;
        /* The store's unique columns keep every key unique; put() cannot
         * fail for room (each map holds n). */
        cssf_strmap_put(&v->by_id, d->id, d);
        if (d->psk_identity)
            cssf_strmap_put(&v->by_psk, d->psk_identity, d);
        if (d->cert_san)
            cssf_strmap_put(&v->by_san, d->cert_san, d);
        if (d->cert_sha256[0])
            cssf_strmap_put(&v->by_fp, d->cert_sha256, d);
        if (d->client_id)
            cssf_strmap_put(&v->by_client, d->client_id, d);
    }
    return v;
}

/* Rebuilds the view from the store and publishes it. On failure the
 * registry turns stale (lookups fail closed) and -1 comes back. */
int cssf_registry_publish(cssf_registry_t *r, char *err, size_t err_cap) {
    cssf_device_t *devs = NULL;
    size_t n = 0;
    cssf_regview_t *v = NULL;
    if (cssf_regstore_load(r->store, r->host_cse_id, &devs, &n, err, err_cap) == 0) {
        v = view_build(devs, n, &r->key);
        if (!v)
            snprintf(err, err_cap, "out of memory");
    }
    if (!v) {
        atomic_store(&r->stale, 1);
        cse_log(CSE_LOG_ERROR,
                "cssf: registry: cannot rebuild the device view (%s); every "
                "registry lookup is refused until it can",
                err);
        return -1;
    }
    pthread_mutex_lock(&r->view_lock);
    cssf_regview_t *old = r->view;
    r->view = v;
    pthread_mutex_unlock(&r->view_lock);
    atomic_store(&r->stale, 0);
    cssf_registry_view_release(old);
    return 0;
}

/* --- open / close ---------------------------------------------------------- */

/* Settles the master key: the file, a rotation left half done (key.new),
 * or a new key when nothing is sealed yet. */
static int settle_key(cssf_registry_t *r, char *err, size_t err_cap) {
    char stored[CSSF_SEAL_KEY_ID_LEN + 8] = "", newpath[PATH_MAX];
    int has_stored =
        cssf_regstore_meta_get(r->store, CSSF_REGISTRY_META_KEY_ID, stored, sizeof(stored));
    if (has_stored < 0) {
        snprintf(err, err_cap, "registry store: cannot read the key id");
        return -1;
    }
    snprintf(newpath, sizeof(newpath), "%s.new", r->key_path);
    cssf_seal_key_t next;
    int missing = 0;
    char e2[512];
    if (access(newpath, F_OK) == 0) {
        /* A rotation stopped between the commit and the rename: keep
         * whichever key the store says its secrets are sealed under. */
        if (cssf_seal_keyfile_read(newpath, &next, NULL, err, err_cap) < 0)
            return -1;
        if (has_stored == 1 && strcmp(stored, next.id) == 0) {
            if (rename(newpath, r->key_path) < 0) {
                snprintf(err, err_cap, "cannot finish the key rotation (%s -> %s): %s", newpath,
                         r->key_path, strerror(errno));
                cssf_seal_key_wipe(&next);
                return -1;
            }
            cse_log(CSE_LOG_WARN, "cssf: registry: finished an interrupted master key rotation");
        } else {
            unlink(newpath);
        }
        cssf_seal_key_wipe(&next);
    }
    if (cssf_seal_keyfile_read(r->key_path, &r->key, &missing, err, err_cap) < 0) {
        if (!missing)
            return -1;
        if (has_stored == 1) {
            snprintf(err, err_cap,
                     "master key file %s is missing, but the registry holds secrets sealed "
                     "under key id %s: restore the key file",
                     r->key_path, stored);
            return -1;
        }
        if (cssf_seal_key_generate(&r->key, r->rng) < 0 ||
            cssf_seal_keyfile_write(r->key_path, &r->key, 1, e2, sizeof(e2)) < 0) {
            snprintf(err, err_cap, "%s", missing ? e2 : "cannot generate a master key");
            return -1;
        }
        cse_log(CSE_LOG_INFO, "cssf: registry: created master key file %s (key id %s)", r->key_path,
                r->key.id);
    }
    if (has_stored == 1 && strcmp(stored, r->key.id) != 0) {
        snprintf(err, err_cap,
                 "master key file %s holds key id %s, but the registry's secrets are sealed "
                 "under key id %s: use the matching key file",
                 r->key_path, r->key.id, stored);
        return -1;
    }
    if (has_stored == 0 &&
        cssf_regstore_meta_set(r->store, CSSF_REGISTRY_META_KEY_ID, r->key.id) < 0) {
        snprintf(err, err_cap, "registry store: cannot record the key id");
        return -1;
    }
    return 0;
}

int cssf_registry_open(const cssf_registry_options_t *o, cssf_registry_t **out, char *err,
                       size_t err_cap) {
    *out = NULL;
    cssf_registry_t *r = calloc(1, sizeof(*r));
    if (!r || !(r->host_cse_id = strdup(o->host_cse_id ? o->host_cse_id : "")) ||
        !(r->key_path = strdup(o->key_path))) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    pthread_mutex_init(&r->write_lock, NULL);
    pthread_mutex_init(&r->view_lock, NULL);
    if (!(r->rng = cssf_rng_create("cssf registry"))) {
        snprintf(err, err_cap, "cannot seed the random generator");
        goto fail;
    }
    if (cssf_regstore_open(o->db_path, &r->store, err, err_cap) < 0 ||
        settle_key(r, err, err_cap) < 0 || cssf_registry_publish(r, err, err_cap) < 0)
        goto fail;
    *out = r;
    return 0;
fail:
    cssf_registry_close(r);
    return -1;
}

void cssf_registry_close(cssf_registry_t *r) {
    if (!r)
        return;
    cssf_registry_view_release(r->view);
    cssf_regstore_close(r->store);
    cssf_rng_destroy(r->rng);
    cssf_seal_key_wipe(&r->key);
    if (r->key_path) {
        pthread_mutex_destroy(&r->write_lock);
        pthread_mutex_destroy(&r->view_lock);
    }
    free(r->host_cse_id);
    free(r->key_path);
    free(r);
}

/* --- lookups --------------------------------------------------------------- */

static void copy_id(char *out, size_t cap, const cssf_device_t *d) {
    if (cap)
        snprintf(out, cap, "%s", d ? d->id : "");
}

int cssf_registry_psk(cssf_registry_t *r, const char *identity, uint8_t *key, size_t cap,
                      size_t *len, char *device, size_t device_cap) {
    *len = 0;
    copy_id(device, device_cap, NULL);
    cssf_regview_t *v = cssf_registry_view_acquire(r);
    if (!v)
        return CSSF_REG_ERROR;
    const cssf_device_t *d = cssf_strmap_get(&v->by_psk, identity);
    int answer = CSSF_REG_UNKNOWN;
    if (d) {
        copy_id(device, device_cap, d);
        if (d->suspended)
            answer = CSSF_REG_SUSPENDED;
        else if (d->aaa)
            answer = CSSF_REG_AAA;
        else if (d->psk_sealed &&
                 cssf_unseal(&v->key, d->psk_sealed, d->psk_sealed_len, d->id, key, cap, len) == 0)
            answer = CSSF_REG_ACTIVE;
        else
            answer = CSSF_REG_ERROR; /* altered record or too small a buffer */
    }
    cssf_registry_view_release(v);
    return answer;
}

static void hex32(const uint8_t *b, char out[65]) {
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int cssf_registry_cert(cssf_registry_t *r, const char *san, const uint8_t *sha256, char *identity,
                       size_t identity_cap, char *device, size_t device_cap) {
    char fp[65] = "";
    copy_id(device, device_cap, NULL);
    if (sha256)
        hex32(sha256, fp);
    cssf_regview_t *v = cssf_registry_view_acquire(r);
    if (!v)
        return CSSF_REG_ERROR;
    int answer = CSSF_REG_UNKNOWN;
    const cssf_device_t *d = fp[0] ? cssf_strmap_get(&v->by_fp, fp) : NULL;
    int by_fp = d != NULL;
    if (!d && san)
        d = cssf_strmap_get(&v->by_san, san);
    if (d) {
        copy_id(device, device_cap, d);
        int san_ok = !d->cert_san || (san && strcmp(d->cert_san, san) == 0);
        int fp_ok = !d->cert_sha256[0] || strcmp(d->cert_sha256, fp) == 0;
        if (!san_ok || !fp_ok)
            answer = CSSF_REG_MISMATCH;
        else if (d->suspended)
            answer = CSSF_REG_SUSPENDED;
        else
            answer = CSSF_REG_ACTIVE;
        if (answer == CSSF_REG_ACTIVE) {
            if (d->cert_san)
                snprintf(identity, identity_cap, "%s", d->cert_san);
            else
                snprintf(identity, identity_cap, "sha256:%s", by_fp ? fp : "");
        }
    }
    cssf_registry_view_release(v);
    return answer;
}

/* The device behind an association identity in v, or NULL. */
const cssf_device_t *cssf_registry_device_of(const cssf_regview_t *v, int assoc_method,
                                             const char *identity) {
    if (!identity || !*identity)
        return NULL;
    switch (assoc_method) {
    case CSE_ASSOC_TLS_PSK:
    case CSE_ASSOC_DTLS_PSK:
        return cssf_strmap_get(&v->by_psk, identity);
    case CSE_ASSOC_TLS_CERT:
    case CSE_ASSOC_DTLS_CERT:
        if (strncmp(identity, "sha256:", 7) == 0)
            return cssf_strmap_get(&v->by_fp, identity + 7);
        return cssf_strmap_get(&v->by_san, identity);
    default:
        return NULL;
    }
}

int cssf_registry_identity(cssf_registry_t *r, int assoc_method, const char *identity, char *device,
                           size_t device_cap) {
    copy_id(device, device_cap, NULL);
    cssf_regview_t *v = cssf_registry_view_acquire(r);
    if (!v)
        return CSSF_REG_ERROR;
    const cssf_device_t *d = cssf_registry_device_of(v, assoc_method, identity);
    copy_id(device, device_cap, d);
    int answer = !d ? CSSF_REG_UNKNOWN : d->suspended ? CSSF_REG_SUSPENDED : CSSF_REG_ACTIVE;
    cssf_registry_view_release(v);
    return answer;
}

int cssf_registry_may_use(cssf_registry_t *r, int assoc_method, const char *identity,
                          const char *from) {
    cssf_regview_t *v = cssf_registry_view_acquire(r);
    if (!v)
        return 0;
    const cssf_device_t *d = cssf_registry_device_of(v, assoc_method, identity);
    int rc = !d ? -1 : !d->suspended && cssf_device_may_use(d, from, r->host_cse_id);
    cssf_registry_view_release(v);
    return rc;
}

int cssf_registry_client(cssf_registry_t *r, const char *client_id, char *device,
                         size_t device_cap) {
    copy_id(device, device_cap, NULL);
    cssf_regview_t *v = cssf_registry_view_acquire(r);
    if (!v)
        return CSSF_REG_ERROR;
    const cssf_device_t *d = client_id ? cssf_strmap_get(&v->by_client, client_id) : NULL;
    copy_id(device, device_cap, d);
    int answer = !d ? CSSF_REG_UNKNOWN : d->suspended ? CSSF_REG_SUSPENDED : CSSF_REG_ACTIVE;
    cssf_registry_view_release(v);
    return answer;
}

int cssf_registry_locate(cssf_registry_t *r, int assoc_method, const char *identity,
                         const char *originator, double *lat, double *lon, char country[3]) {
    cssf_regview_t *v = cssf_registry_view_acquire(r);
    if (!v)
        return -1;
    const cssf_device_t *d = cssf_registry_device_of(v, assoc_method, identity);
    for (size_t i = 0; !d && originator && i < v->n; i++)
        if (!v->devs[i].suspended && cssf_device_may_use(&v->devs[i], originator, r->host_cse_id))
            d = &v->devs[i];
    int rc = -1;
    if (d && (d->has_latlon || d->country[0])) {
        *lat = d->has_latlon ? d->lat : NAN;
        *lon = d->has_latlon ? d->lon : NAN;
        memcpy(country, d->country, 3);
        rc = 0;
    }
    cssf_registry_view_release(v);
    return rc;
}
