/* The device registry: views, lookups and changes (see registry.h). */
#include "plugin/data/registry.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
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

/*
 * Why persistent indexes: a change must cost O(log n), not a reload of
 * every row, and readers (the CoAP thread, MHD threads) must neither block
 * on it nor see it half done. Each view is immutable; the next one shares
 * all but the O(log n) nodes on the changed paths and is published with a
 * single pointer store, so a reader sees either the whole change or none
 * of it. Nodes and devices are reference counted, so what an old view
 * alone holds is freed by whoever drops that view last, and never before.
 */

static const char *cred_psk(const void *d) {
    return ((const cssf_device_t *)d)->psk_identity;
}

static const char *cred_san(const void *d) {
    return ((const cssf_device_t *)d)->cert_san;
}

static const char *cred_fp(const void *d) {
    const cssf_device_t *dev = d;
    return dev->cert_sha256[0] ? dev->cert_sha256 : NULL;
}

static const char *cred_client(const void *d) {
    return ((const cssf_device_t *)d)->client_id;
}

static const cssf_hamt_key_fn cred_of[CSSF_REGIDX_COUNT] = {cred_psk, cred_san, cred_fp,
                                                            cred_client};

const char *cssf_registry_credential(const cssf_device_t *d, enum cssf_regidx i) {
    return cred_of[i](d);
}

const cssf_device_t *cssf_registry_find(const cssf_regview_t *v, enum cssf_regidx i,
                                        const char *key) {
    return key ? cssf_hamt_get(v->idx[i], key, cred_of[i]) : NULL;
}

const cssf_device_t *cssf_registry_device(const cssf_regview_t *v, const char *id) {
    return cssf_devset_get(v->by_id, id);
}

int cssf_registry_each(const cssf_regview_t *v, int (*fn)(const cssf_device_t *d, void *arg),
                       void *arg) {
    return cssf_devset_each(v->by_id, fn, arg);
}

void cssf_registry_view_release(cssf_regview_t *v) {
    if (!v || atomic_fetch_sub(&v->refs, 1) != 1)
        return;
    for (int i = 0; i < CSSF_REGIDX_COUNT; i++)
        cssf_hamt_release(v->idx[i]);
    cssf_devset_release(v->by_id);
    cssf_seal_key_wipe(&v->key);
    free(v);
}

/*
 * A reader takes a reference to the current view without a lock. The
 * danger is the gap between loading the pointer and counting the
 * reference: a writer could drop the view in between. So a reader counts
 * itself in entering[epoch & 1] around that gap, and a writer, after
 * swapping the pointer, sees each of the two counters at zero at least
 * once before it drops its reference to the old view. All of these are
 * sequentially consistent atomics, so in their single total order:
 *   - a reader that got the old view loaded it before the swap, so it
 *     counted itself (in either counter) before the swap;
 *   - the writer reads both counters after the swap; a counter at zero
 *     means every reader counted in it has also left it, and leaving
 *     comes after taking the reference (the decrement is a release the
 *     writer's read synchronises with), so the old view is not freed
 *     under any reader;
 *   - a reader counting itself after the swap loads the new view.
 * Before it reads a counter the writer flips the epoch, so that readers
 * arriving meanwhile count in the other one: it waits only for readers
 * already inside the gap, never for a stream of new ones. Readers never
 * wait. (One counter read once per swap would not do: a reader that read
 * the epoch long ago may sit in the other counter with a view that the
 * next swap replaces.)
 */
cssf_regview_t *cssf_registry_view_acquire(cssf_registry_t *r) {
    if (atomic_load(&r->stale))
        return NULL;
    unsigned slot = atomic_load(&r->epoch) & 1;
    atomic_fetch_add(&r->entering[slot], 1);
    cssf_regview_t *v = atomic_load(&r->view);
    if (v)
        atomic_fetch_add(&v->refs, 1);
    atomic_fetch_sub(&r->entering[slot], 1);
    return v;
}

/* Makes v the current view and drops the registry's reference to the
 * previous one once no reader can still be taking a reference to it.
 * Writers only (under write_lock, or before the registry is shared). */
static void view_swap(cssf_registry_t *r, cssf_regview_t *v) {
    cssf_regview_t *old = atomic_exchange(&r->view, v);
    for (int round = 0; round < 2; round++) {
        unsigned slot = atomic_fetch_add(&r->epoch, 1) & 1;
        while (atomic_load(&r->entering[slot]) != 0)
            sched_yield();
    }
    atomic_store(&r->stale, 0);
    cssf_registry_view_release(old);
}

/* Puts d into v's credential indexes (add = 1) or takes it out (add = 0),
 * each index replaced by its new root. 0, or -1 when out of memory. */
static int index_device(cssf_regview_t *v, const cssf_device_t *d, int add) {
    for (int i = 0; i < CSSF_REGIDX_COUNT; i++) {
        const char *key = cred_of[i](d);
        cssf_hnode_t *root = NULL;
        int rc = !key  ? 1
                 : add ? cssf_hamt_put(v->idx[i], (void *)d, cred_of[i], &root)
                       : cssf_hamt_del(v->idx[i], key, cred_of[i], &root);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            cssf_hamt_release(v->idx[i]);
            v->idx[i] = root;
        }
    }
    return 0;
}

/* The devices of a view being built, gathered in id order. */
struct gather {
    const cssf_device_t **devs;
    size_t n;
};

static int gather_one(const cssf_device_t *d, void *arg) {
    struct gather *g = arg;
    g->devs[g->n++] = d;
    return 0;
}

/* Builds v's credential indexes over its n devices in one pass each. */
static int index_all(cssf_regview_t *v, size_t n) {
    struct gather g = {n ? malloc(n * sizeof(*g.devs)) : NULL, 0};
    void **values = n ? malloc(n * sizeof(*values)) : NULL;
    int rc = -1;
    if (n && (!g.devs || !values))
        goto out;
    cssf_devset_each(v->by_id, gather_one, &g);
    for (size_t k = 0; k < g.n; k++)
        v->suspended += g.devs[k]->suspended != 0;
    v->n = g.n;
    for (int i = 0; i < CSSF_REGIDX_COUNT; i++) {
        size_t m = 0;
        for (size_t k = 0; k < g.n; k++)
            if (cred_of[i](g.devs[k]))
                values[m++] = (void *)g.devs[k];
        if (cssf_hamt_build(values, m, cred_of[i], &v->idx[i]) < 0)
            goto out;
    }
    rc = 0;
out:
    free(g.devs);
    free(values);
    return rc;
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
    v->key = *key;
    /* The store's unique columns keep every key unique. */
    if (cssf_devset_build(devs, n, &v->by_id) < 0 || index_all(v, n) < 0) {
        cssf_registry_view_release(v);
        return NULL;
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
    view_swap(r, v);
    return 0;
}

/* The view after prev with old out and dev (taken over on success) in. */
static cssf_regview_t *view_derive(const cssf_regview_t *prev, const cssf_device_t *old,
                                   cssf_device_t *dev) {
    cssf_regview_t *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    atomic_init(&v->refs, 1);
    v->key = prev->key;
    v->n = prev->n;
    v->suspended = prev->suspended;
    v->by_id = cssf_devset_ref(prev->by_id);
    for (int i = 0; i < CSSF_REGIDX_COUNT; i++)
        v->idx[i] = cssf_hamt_ref(prev->idx[i]);
    const cssf_device_t *stored = NULL;
    cssf_devnode_t *root = NULL;
    if (old) {
        if (index_device(v, old, 0) < 0)
            goto fail;
        v->n--;
        v->suspended -= old->suspended != 0;
        /* A replaced device (same id) leaves by_id when dev takes its place. */
        if (!dev || strcmp(dev->id, old->id) != 0) {
            int rc = cssf_devset_del(v->by_id, old->id, &root);
            if (rc < 0)
                goto fail;
            if (rc == 0) {
                cssf_devset_release(v->by_id);
                v->by_id = root;
            }
        }
    }
    if (dev) {
        /* As the store would give it back: no plaintext key. */
        memset(dev->psk, 0, sizeof(dev->psk));
        dev->psk_len = 0;
        if (cssf_devset_put(v->by_id, dev, &root, &stored) < 0)
            goto fail;
        cssf_devset_release(v->by_id);
        v->by_id = root;
        v->n++;
        v->suspended += stored->suspended != 0;
        if (index_device(v, stored, 1) < 0)
            goto fail;
    }
    return v;
fail:
    cssf_registry_view_release(v);
    return NULL;
}

/* See registry_internal.h. */
int cssf_registry_apply(cssf_registry_t *r, const cssf_regview_t *prev, const cssf_device_t *old,
                        cssf_device_t *dev, char *err, size_t err_cap) {
    cssf_regview_t *v = view_derive(prev, old, dev);
    if (!v)
        return cssf_registry_publish(r, err, err_cap);
    view_swap(r, v);
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
    cssf_registry_view_release(atomic_load(&r->view));
    cssf_regstore_close(r->store);
    cssf_rng_destroy(r->rng);
    cssf_seal_key_wipe(&r->key);
    if (r->key_path) {
        pthread_mutex_destroy(&r->write_lock);
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
    const cssf_device_t *d = cssf_registry_find(v, CSSF_REGIDX_PSK, identity);
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
    const cssf_device_t *d = fp[0] ? cssf_registry_find(v, CSSF_REGIDX_FP, fp) : NULL;
    int by_fp = d != NULL;
    if (!d && san)
        d = cssf_registry_find(v, CSSF_REGIDX_SAN, san);
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
        return cssf_registry_find(v, CSSF_REGIDX_PSK, identity);
    case CSE_ASSOC_TLS_CERT:
    case CSE_ASSOC_DTLS_CERT:
        if (strncmp(identity, "sha256:", 7) == 0)
            return cssf_registry_find(v, CSSF_REGIDX_FP, identity + 7);
        return cssf_registry_find(v, CSSF_REGIDX_SAN, identity);
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
    const cssf_device_t *d = cssf_registry_find(v, CSSF_REGIDX_CLIENT, client_id);
    copy_id(device, device_cap, d);
    int answer = !d ? CSSF_REG_UNKNOWN : d->suspended ? CSSF_REG_SUSPENDED : CSSF_REG_ACTIVE;
    cssf_registry_view_release(v);
    return answer;
}

/* The first active device (in id order) that may use originator. */
struct first_user {
    const char *originator, *host_cse_id;
    const cssf_device_t *found;
};

static int first_user(const cssf_device_t *d, void *arg) {
    struct first_user *fu = arg;
    if (d->suspended || !cssf_device_may_use(d, fu->originator, fu->host_cse_id))
        return 0;
    fu->found = d;
    return 1;
}

int cssf_registry_locate(cssf_registry_t *r, int assoc_method, const char *identity,
                         const char *originator, double *lat, double *lon, char country[3]) {
    cssf_regview_t *v = cssf_registry_view_acquire(r);
    if (!v)
        return -1;
    const cssf_device_t *d = cssf_registry_device_of(v, assoc_method, identity);
    if (!d && originator) {
        struct first_user fu = {originator, r->host_cse_id, NULL};
        cssf_registry_each(v, first_user, &fu);
        d = fu.found;
    }
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
