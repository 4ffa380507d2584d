/* Registry changes for the admin API: create, update, suspend, delete,
 * key rotation, listing and health (see registry.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cse/host.h"
#include "plugin/data/radius_secrets.h"
#include "plugin/data/registry_internal.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000
#define SEALED_MAX (CSSF_PSK_MAX + CSSF_SEAL_OVERHEAD)

static void set_result(cssf_registry_result_t *res, int status, const char *field, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));

static void set_result(cssf_registry_result_t *res, int status, const char *field, const char *fmt,
                       ...) {
    va_list ap;
    res->status = status;
    snprintf(res->field, sizeof(res->field), "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(res->error, sizeof(res->error), fmt, ap);
    va_end(ap);
}

void cssf_registry_result_clear(cssf_registry_result_t *res) {
    json_decref(res->doc);
    volatile char *p = res->psk;
    for (size_t i = 0; i < sizeof(res->psk); i++)
        p[i] = 0;
    memset(res, 0, sizeof(*res));
}

static void now_text(char *out, size_t cap) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The device of v (other than except_id) that already holds one of d's
 * unique credentials; its field name goes into *field. */
static const cssf_device_t *conflict(const cssf_regview_t *v, const cssf_device_t *d,
                                     const char *except_id, const char **field) {
    static const char *const fields[CSSF_REGIDX_COUNT] = {
        [CSSF_REGIDX_PSK] = "credentials.psk.identity",
        [CSSF_REGIDX_SAN] = "credentials.certificate.san",
        [CSSF_REGIDX_FP] = "credentials.certificate.sha256",
        [CSSF_REGIDX_CLIENT] = "credentials.oauth.client_id",
    };
    for (int i = 0; i < CSSF_REGIDX_COUNT; i++) {
        const cssf_device_t *other =
            cssf_registry_find(v, (enum cssf_regidx)i, cssf_registry_credential(d, i));
        if (other && (!except_id || strcmp(other->id, except_id) != 0)) {
            *field = fields[i];
            return other;
        }
    }
    return NULL;
}

static void hex_of(const uint8_t *b, size_t n, char *out) {
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Gives d its sealed PSK: the key of the document, else the current one
 * of old (when old has one), else a generated key (returned in res->psk). */
static int seal_psk(cssf_registry_t *r, cssf_device_t *d, const cssf_device_t *old,
                    cssf_registry_result_t *res) {
    if (!d->psk_identity || d->aaa)
        return 0;
    if (!d->psk_len && old && old->psk_sealed && !old->aaa) {
        if (!(d->psk_sealed = malloc(old->psk_sealed_len)))
            goto oom;
        memcpy(d->psk_sealed, old->psk_sealed, old->psk_sealed_len);
        d->psk_sealed_len = old->psk_sealed_len;
        return 0;
    }
    if (!d->psk_len) {
        if (cssf_rng_bytes(r->rng, d->psk, CSSF_PSK_GENERATED) < 0) {
            set_result(res, CSSF_REG_FAILED, NULL, "cannot generate a key");
            return -1;
        }
        d->psk_len = CSSF_PSK_GENERATED;
        hex_of(d->psk, d->psk_len, res->psk);
    }
    if (!(d->psk_sealed = malloc(SEALED_MAX)))
        goto oom;
    if (cssf_seal(&r->key, r->rng, d->psk, d->psk_len, d->id, d->psk_sealed, SEALED_MAX,
                  &d->psk_sealed_len) < 0) {
        set_result(res, CSSF_REG_FAILED, NULL, "cannot seal the key");
        return -1;
    }
    memset(d->psk, 0, sizeof(d->psk));
    return 0;
oom:
    set_result(res, CSSF_REG_FAILED, NULL, "out of memory");
    return -1;
}

/* Stores d (insert, or update of old), publishes the view that follows v
 * with d (taken over) in old's place, fills res->doc. */
static void commit_device(cssf_registry_t *r, const cssf_regview_t *v, const cssf_device_t *old,
                          cssf_device_t *d, int ok_status, cssf_registry_result_t *res) {
    int insert = old == NULL;
    char err[256];
    int rc = cssf_regstore_put(r->store, d, insert, err, sizeof(err));
    if (rc == 1) {
        set_result(res, CSSF_REG_CONFLICT, insert ? "id" : NULL,
                   "a device with this id or credential exists");
        return;
    }
    if (rc == 2) {
        set_result(res, CSSF_REG_NOT_FOUND, NULL, "no such device");
        return;
    }
    if (rc < 0) {
        set_result(res, CSSF_REG_FAILED, NULL, "%s", err);
        return;
    }
    res->doc = cssf_device_to_json(d);
    if (cssf_registry_apply(r, v, old, d, err, sizeof(err)) < 0) {
        json_decref(res->doc);
        res->doc = NULL;
        set_result(res, CSSF_REG_FAILED, NULL,
                   "stored, but the device view could not be rebuilt: %s", err);
        return;
    }
    res->status = ok_status;
}

/* A write under the write lock, with a view that is not stale. */
static cssf_regview_t *begin_change(cssf_registry_t *r, cssf_registry_result_t *res) {
    char err[256];
    pthread_mutex_lock(&r->write_lock);
    if (atomic_load(&r->stale) && cssf_registry_publish(r, err, sizeof(err)) < 0) {
        set_result(res, CSSF_REG_FAILED, NULL, "registry unavailable: %s", err);
        pthread_mutex_unlock(&r->write_lock);
        return NULL;
    }
    cssf_regview_t *v = cssf_registry_view_acquire(r);
    if (!v) {
        set_result(res, CSSF_REG_FAILED, NULL, "registry unavailable");
        pthread_mutex_unlock(&r->write_lock);
    }
    return v;
}

static void end_change(cssf_registry_t *r, cssf_regview_t *v) {
    cssf_registry_view_release(v);
    pthread_mutex_unlock(&r->write_lock);
}

static int parse_doc(cssf_registry_t *r, const json_t *doc, cssf_device_t *d,
                     cssf_registry_result_t *res) {
    cssf_device_error_t e;
    if (cssf_device_parse(doc, r->host_cse_id, d, &e) == 0)
        return 0;
    set_result(res, CSSF_REG_INVALID, e.field, "%s", e.msg);
    return -1;
}

void cssf_registry_create(cssf_registry_t *r, const json_t *doc, cssf_registry_result_t *res) {
    memset(res, 0, sizeof(*res));
    cssf_device_t d;
    if (parse_doc(r, doc, &d, res) < 0)
        return;
    cssf_regview_t *v = begin_change(r, res);
    if (!v)
        goto out;
    const char *field = NULL;
    const cssf_device_t *other;
    if (cssf_registry_device(v, d.id)) {
        set_result(res, CSSF_REG_CONFLICT, "id", "device '%s' exists", d.id);
    } else if ((other = conflict(v, &d, NULL, &field))) {
        set_result(res, CSSF_REG_CONFLICT, field, "device '%s' holds this credential", other->id);
    } else if (seal_psk(r, &d, NULL, res) == 0) {
        now_text(d.created, sizeof(d.created));
        memcpy(d.updated, d.created, sizeof(d.updated));
        commit_device(r, v, NULL, &d, CSSF_REG_CREATED, res);
    }
    end_change(r, v);
out:
    if (res->status != CSSF_REG_CREATED)
        memset(res->psk, 0, sizeof(res->psk));
    cssf_device_clear(&d);
}

/* RFC 7396 JSON merge patch of patch into target (modified in place). */
static int merge_patch(json_t *target, const json_t *patch) {
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)patch, key, value) {
        if (json_is_null(value)) {
            json_object_del(target, key);
        } else if (json_is_object(value)) {
            json_t *sub = json_object_get(target, key);
            if (!json_is_object(sub)) {
                sub = json_object();
                if (!sub || json_object_set_new(target, key, sub) < 0)
                    return -1;
            }
            if (merge_patch(sub, value) < 0)
                return -1;
        } else if (json_object_set_new(target, key, json_deep_copy(value)) < 0) {
            return -1;
        }
    }
    return 0;
}

/* What old loses by becoming d (NULL: deleted): revoked credentials. */
static void note_revoked(const cssf_device_t *old, const cssf_device_t *d,
                         cssf_registry_result_t *res) {
    int gone = !d || (d->suspended && !old->suspended);
    if (old->psk_identity &&
        (gone || !d->psk_identity || strcmp(old->psk_identity, d->psk_identity) != 0 ||
         d->psk_len || d->aaa != old->aaa))
        snprintf(res->revoked_psk_identity, sizeof(res->revoked_psk_identity), "%s",
                 old->psk_identity);
    const char *cert = old->cert_san         ? old->cert_san
                       : old->cert_sha256[0] ? old->cert_sha256
                                             : NULL;
    /* The identity CERT_CHECK bound (cssf_registry_cert): the SAN, else "sha256:<hex>". */
    if (cert && (gone || !d->cert_san != !old->cert_san ||
                 (d->cert_san && strcmp(d->cert_san, old->cert_san) != 0) ||
                 strcmp(d->cert_sha256, old->cert_sha256) != 0))
        snprintf(res->revoked_cert, sizeof(res->revoked_cert), "%s%s",
                 old->cert_san ? "" : "sha256:", cert);
}

void cssf_registry_update(cssf_registry_t *r, const char *id, const json_t *doc, int merge,
                          cssf_registry_result_t *res) {
    memset(res, 0, sizeof(*res));
    cssf_device_t d;
    memset(&d, 0, sizeof(d));
    json_t *next = NULL;
    if (!json_is_object(doc)) {
        set_result(res, CSSF_REG_INVALID, "", "the body must be a JSON object");
        return;
    }
    cssf_regview_t *v = begin_change(r, res);
    if (!v)
        return;
    const cssf_device_t *old = cssf_registry_device(v, id);
    const json_t *given_id = json_object_get(doc, "id");
    if (!old) {
        set_result(res, CSSF_REG_NOT_FOUND, NULL, "no device '%.64s'", id);
        goto out;
    }
    if (given_id && (!json_is_string(given_id) || strcmp(json_string_value(given_id), id) != 0)) {
        set_result(res, CSSF_REG_INVALID, "id", "the id of a device cannot change");
        goto out;
    }
    next = merge ? cssf_device_to_json(old) : json_deep_copy(doc);
    if (!next || (merge && merge_patch(next, doc) < 0) ||
        json_object_set_new(next, "id", json_string(id)) < 0) {
        set_result(res, CSSF_REG_FAILED, NULL, "out of memory");
        goto out;
    }
    /* A replacement without a state keeps the current one: a PUT never
     * resumes a suspended device by leaving the field out. */
    if (!json_object_get(next, "state"))
        json_object_set_new(next, "state", json_string(old->suspended ? "suspended" : "active"));
    if (parse_doc(r, next, &d, res) < 0)
        goto out;
    const char *field = NULL;
    const cssf_device_t *other = conflict(v, &d, id, &field);
    if (other) {
        set_result(res, CSSF_REG_CONFLICT, field, "device '%s' holds this credential", other->id);
        goto out;
    }
    note_revoked(old, &d, res);
    if (seal_psk(r, &d, old, res) < 0)
        goto out;
    memcpy(d.created, old->created, sizeof(d.created));
    now_text(d.updated, sizeof(d.updated));
    commit_device(r, v, old, &d, CSSF_REG_OK, res);
out:
    end_change(r, v);
    if (res->status != CSSF_REG_OK) {
        memset(res->psk, 0, sizeof(res->psk));
        res->revoked_psk_identity[0] = res->revoked_cert[0] = '\0';
    }
    json_decref(next);
    cssf_device_clear(&d);
}

void cssf_registry_set_suspended(cssf_registry_t *r, const char *id, int suspended,
                                 cssf_registry_result_t *res) {
    json_t *patch = json_pack("{s:s}", "state", suspended ? "suspended" : "active");
    if (!patch) {
        memset(res, 0, sizeof(*res));
        set_result(res, CSSF_REG_FAILED, NULL, "out of memory");
        return;
    }
    cssf_registry_update(r, id, patch, 1, res);
    json_decref(patch);
}

void cssf_registry_delete(cssf_registry_t *r, const char *id, cssf_registry_result_t *res) {
    memset(res, 0, sizeof(*res));
    char err[256];
    cssf_regview_t *v = begin_change(r, res);
    if (!v)
        return;
    const cssf_device_t *old = cssf_registry_device(v, id);
    int rc = old ? cssf_regstore_delete(r->store, id, err, sizeof(err)) : 1;
    if (rc == 1) {
        set_result(res, CSSF_REG_NOT_FOUND, NULL, "no device '%.64s'", id);
    } else if (rc < 0) {
        set_result(res, CSSF_REG_FAILED, NULL, "%s", err);
    } else {
        note_revoked(old, NULL, res);
        if (cssf_registry_apply(r, v, old, NULL, err, sizeof(err)) < 0)
            set_result(res, CSSF_REG_FAILED, NULL,
                       "deleted, but the device view could not be rebuilt: %s", err);
        else
            res->status = CSSF_REG_NO_CONTENT;
    }
    end_change(r, v);
}

/* What re-sealing walks over: the view, the new key, the result. */
struct reseal {
    cssf_registry_t *r;
    const cssf_regview_t *v;
    const cssf_seal_key_t *next;
    cssf_registry_result_t *res;
};

/* Re-seals the PSK of old under the new key: 0, or -1 with res set. */
static int reseal_one(const cssf_device_t *old, void *arg) {
    struct reseal *rs = arg;
    char err[256];
    if (!old->psk_sealed)
        return 0;
    cssf_device_t d = *old; /* shallow: only psk_sealed is replaced */
    uint8_t pt[CSSF_PSK_MAX], blob[SEALED_MAX];
    size_t len = 0;
    if (cssf_unseal(&rs->v->key, old->psk_sealed, old->psk_sealed_len, old->id, pt, sizeof(pt),
                    &len) < 0) {
        set_result(rs->res, CSSF_REG_FAILED, NULL,
                   "device '%s': its sealed PSK does not open under the current key", old->id);
        return -1;
    }
    int rc =
        cssf_seal(rs->next, rs->r->rng, pt, len, old->id, blob, sizeof(blob), &d.psk_sealed_len);
    memset(pt, 0, sizeof(pt));
    d.psk_sealed = blob;
    if (rc < 0 || cssf_regstore_put(rs->r->store, &d, 0, err, sizeof(err)) != 0) {
        set_result(rs->res, CSSF_REG_FAILED, NULL, "device '%s': cannot re-seal its PSK", old->id);
        return -1;
    }
    return 0;
}

/* Re-seals every PSK of v under next, inside the caller's transaction. */
static int reseal_all(cssf_registry_t *r, const cssf_regview_t *v, const cssf_seal_key_t *next,
                      cssf_registry_result_t *res) {
    struct reseal rs = {r, v, next, res};
    return cssf_registry_each(v, reseal_one, &rs);
}

void cssf_registry_rotate_key(cssf_registry_t *r, cssf_registry_result_t *res) {
    memset(res, 0, sizeof(*res));
    char err[512] = "", newpath[PATH_MAX];
    cssf_seal_key_t next;
    size_t nradius = 0;
    memset(&next, 0, sizeof(next));
    cssf_regview_t *v = begin_change(r, res);
    if (!v)
        return;
    snprintf(newpath, sizeof(newpath), "%s.new", r->key_path);
    /* Order: new key file beside the old one, then the transaction, then
     * the rename. A stop in between is settled at the next start by the
     * key id the store records (registry.c, settle_key). */
    if (cssf_seal_key_generate(&next, r->rng) < 0 ||
        cssf_seal_keyfile_write(newpath, &next, 0, err, sizeof(err)) < 0) {
        set_result(res, CSSF_REG_FAILED, NULL, "cannot write the new key: %s", err);
        goto out;
    }
    if (cssf_regstore_begin(r->store) < 0) {
        set_result(res, CSSF_REG_FAILED, NULL, "registry store is busy");
        unlink(newpath);
        goto out;
    }
    if (reseal_all(r, v, &next, res) < 0 ||
        cssf_radius_secrets_reseal(r->store, &r->key, &next, r->rng, &nradius, err, sizeof(err)) <
            0 ||
        cssf_regstore_meta_set(r->store, CSSF_REGISTRY_META_KEY_ID, next.id) < 0 ||
        cssf_regstore_commit(r->store) < 0) {
        cssf_regstore_rollback(r->store);
        unlink(newpath);
        if (!res->status)
            set_result(res, CSSF_REG_FAILED, NULL, "cannot commit the re-sealed secrets%s%s",
                       err[0] ? ": " : "", err);
        goto out;
    }
    if (rename(newpath, r->key_path) < 0)
        cse_log(CSE_LOG_ERROR,
                "cssf: registry: cannot rename %s to %s (%s); the next start "
                "finishes the rotation",
                newpath, r->key_path, strerror(errno));
    cssf_seal_key_t old = r->key;
    r->key = next;
    cssf_seal_key_wipe(&old);
    if (cssf_registry_publish(r, err, sizeof(err)) < 0) {
        set_result(res, CSSF_REG_FAILED, NULL, "rotated, but the view could not be rebuilt: %s",
                   err);
        goto out;
    }
    res->status = CSSF_REG_OK;
    res->doc = json_pack("{s:s,s:I,s:I}", "key_id", next.id, "resealed", (json_int_t)v->n,
                         "radius_resealed", (json_int_t)nradius);
    cse_log(CSE_LOG_INFO, "cssf: registry: master key rotated to key id %s", next.id);
out:
    cssf_seal_key_wipe(&next);
    end_change(r, v);
}

static int has_label(const cssf_device_t *d, const char *label) {
    for (size_t i = 0; i < d->nlabels; i++)
        if (strcmp(d->labels[i], label) == 0)
            return 1;
    return 0;
}

static int matches(const cssf_registry_t *r, const cssf_device_t *d,
                   const cssf_registry_filter_t *f) {
    if (f->state && strcmp(f->state, d->suspended ? "suspended" : "active") != 0)
        return 0;
    if (f->group && (!d->group || strcmp(f->group, d->group) != 0))
        return 0;
    if (f->label && !has_label(d, f->label))
        return 0;
    return !f->aeid || cssf_device_may_use(d, f->aeid, r->host_cse_id);
}

/* A listing in progress: the filter, the page so far, the matches. */
struct listing {
    const cssf_registry_t *r;
    const cssf_registry_filter_t *f;
    json_t *list;
    size_t limit, total;
};

static int list_one(const cssf_device_t *d, void *arg) {
    struct listing *l = arg;
    if (!matches(l->r, d, l->f))
        return 0;
    if (l->total >= l->f->offset && json_array_size(l->list) < l->limit)
        json_array_append_new(l->list, cssf_device_to_json(d));
    l->total++;
    return 0;
}

json_t *cssf_registry_list(cssf_registry_t *r, const cssf_registry_filter_t *f) {
    cssf_regview_t *v = cssf_registry_view_acquire(r);
    if (!v)
        return NULL;
    size_t limit = f->limit ? f->limit : LIST_DEFAULT;
    if (limit > LIST_MAX)
        limit = LIST_MAX;
    struct listing l = {r, f, json_array(), limit, 0};
    if (l.list)
        cssf_registry_each(v, list_one, &l);
    cssf_registry_view_release(v);
    json_t *list = l.list;
    size_t total = l.total;
    if (!list)
        return NULL;
    return json_pack("{s:o,s:I,s:I,s:I}", "devices", list, "total", (json_int_t)total, "limit",
                     (json_int_t)limit, "offset", (json_int_t)f->offset);
}

json_t *cssf_registry_get(cssf_registry_t *r, const char *id) {
    cssf_regview_t *v = cssf_registry_view_acquire(r);
    if (!v)
        return NULL;
    const cssf_device_t *d = cssf_registry_device(v, id);
    json_t *doc = d ? cssf_device_to_json(d) : NULL;
    cssf_registry_view_release(v);
    return doc;
}

void cssf_registry_health(cssf_registry_t *r, cssf_registry_health_t *h) {
    memset(h, 0, sizeof(*h));
    h->store_ok = cssf_regstore_ping(r->store, h->error, sizeof(h->error)) == 0;
    h->stale = atomic_load(&r->stale);
    cssf_regview_t *v = cssf_registry_view_acquire(r);
    if (v) {
        h->devices = v->n;
        h->suspended = v->suspended;
        snprintf(h->key_id, sizeof(h->key_id), "%s", v->key.id);
        cssf_registry_view_release(v);
    }
}
