#include "cse/core/cse.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cse/core/address.h"
#include "cse/core/clock.h"
#include "cse/core/commit.h"
#include "cse/core/log.h"
#include "cse/core/plugin_host.h"
#include "cse/core/tree.h"
#include "cse/resources/container.h"
#include "cse/resources/cse_base.h"
#include "cse/resources/handler.h"
#include "cse/resources/rtype.h"

static struct {
    const cse_config_t *cfg;
    cse_store_t *store;
    pthread_t sweeper;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    int running, stop;
} core = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

const cse_config_t *cse_core_config(void) {
    return core.cfg;
}

cse_store_t *cse_core_store(void) {
    return core.store;
}

/* ---- loading --------------------------------------------------------- */

typedef struct loaded_item {
    cse_res_t *res;
    char *pi; /* parent ri as stored */
} loaded_item_t;

typedef struct loaded {
    loaded_item_t *items;
    size_t n, cap;
    size_t bad;
} loaded_t;

static int load_row(void *arg, const char *ri, const char *pi, int ty, const char *json,
                    size_t len) {
    loaded_t *l = arg;
    json_t *attrs = json_loadb(json, len, 0, NULL);
    const char *rn = json_string_value(json_object_get(attrs, "rn"));
    if (!json_is_object(attrs) || !rn || !cse_rtype_find(ty)) {
        cse_log(CSE_LOG_ERROR, "store: resource %s is unreadable and was skipped", ri);
        json_decref(attrs);
        l->bad++;
        return 0;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        loaded_item_t *items = realloc(l->items, cap * sizeof(*items));
        if (!items) {
            json_decref(attrs);
            return -1;
        }
        l->items = items;
        l->cap = cap;
    }
    cse_res_t *r = cse_res_new(ty, ri, rn, attrs);
    cse_res_compact(r, json, len); /* the stored text is its serialized form */
    l->items[l->n].res = r;
    l->items[l->n++].pi = cse_xstrdup(pi ? pi : "");
    return 0;
}

/* Creation order: ct, then the order the store returned them. */
static int by_creation(const void *a, const void *b) {
    const cse_res_t *x = ((const loaded_item_t *)a)->res, *y = ((const loaded_item_t *)b)->res;
    if (x->ct_us != y->ct_us)
        return x->ct_us < y->ct_us ? -1 : 1;
    return x->revision < y->revision ? -1 : x->revision > y->revision;
}

static void loaded_free(loaded_t *l) {
    for (size_t i = 0; i < l->n; i++) {
        if (l->items[i].res)
            cse_res_free(l->items[i].res);
        free(l->items[i].pi);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

/* Attaches loaded resources to their parents (several passes if the store
 * returned a child before its parent). Returns how many could not be. */
static size_t attach_loaded(loaded_t *l) {
    if (l->n)
        qsort(l->items, l->n, sizeof(*l->items), by_creation);
    size_t left = l->n;
    for (int progress = 1; left && progress;) {
        progress = 0;
        for (size_t i = 0; i < l->n; i++) {
            cse_res_t *r = l->items[i].res;
            if (!r)
                continue;
            const char *pi = l->items[i].pi;
            cse_res_t *parent = pi[0] ? cse_tree_by_ri(pi) : NULL;
            int is_root = r->ty == CSE_TY_CSEBASE && !cse_tree_root();
            if (!parent && !is_root)
                continue;
            if (cse_tree_attach(is_root ? NULL : parent, r) != 0) {
                cse_log(CSE_LOG_ERROR, "store: resource %s conflicts and was skipped", r->ri);
                cse_res_free(r);
            }
            l->items[i].res = NULL;
            left--;
            progress = 1;
        }
    }
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].res)
            cse_log(CSE_LOG_ERROR, "store: resource %s has no parent and was skipped",
                    l->items[i].res->ri);
    loaded_free(l);
    return left;
}

/* Counters of containers are derived: recount them, then apply quotas
 * (a crash may have left more instances than mni allows). */
static int recount(cse_res_t *r, cse_txn_t *txn, int64_t now) {
    for (cse_res_t *c = r->first; c; c = c->next)
        recount(c, txn, now);
    if (r->ty == CSE_TY_CNT) {
        cse_container_recount(r);
        int touched = 1;
        cse_container_enforce(txn, r, now, &touched);
    }
    return 0;
}

static int commit_now(cse_txn_t *txn) {
    int rc = core.store && txn->nops ? cse_store_commit(core.store, txn->ops, txn->nops) : 0;
    if (rc != 0)
        cse_txn_undo(txn);
    cse_txn_finish(txn);
    return rc;
}

static int ensure_cse_base(const cse_config_t *cfg, char *err, size_t cap) {
    cse_txn_t txn;
    cse_txn_init(&txn);
    cse_res_t *root = cse_tree_root();
    if (root) {
        cse_txn_modify(&txn, root);
        if (cse_cse_base_refresh(root->attrs, cfg))
            cse_txn_changed(&txn, root, 1);
    } else {
        char now[CSE_TIME_LEN];
        cse_clock_format(cse_clock_now_us(), now, sizeof(now));
        json_t *attrs = cse_cse_base_attrs(cfg, now);
        const char *ri = json_string_value(json_object_get(attrs, "ri"));
        root = cse_res_new(CSE_TY_CSEBASE, ri, cfg->resource_name, attrs);
        if (cse_txn_add(&txn, NULL, root) != 0) {
            cse_res_free(root);
            snprintf(err, cap, "cannot create the CSEBase");
            cse_txn_finish(&txn);
            return -1;
        }
        cse_log(CSE_LOG_INFO, "created CSEBase ri=%s rn=%s csi=%s", ri, cfg->resource_name,
                cfg->cse_id);
    }
    if (commit_now(&txn) != 0) {
        snprintf(err, cap, "cannot store the CSEBase");
        return -1;
    }
    return 0;
}

/* ---- expiration ------------------------------------------------------- */

/* Removes every expired resource (DEREGISTER_AE for AEs). Returns how many. */
size_t cse_core_expire(int64_t now) {
    size_t n;
    char **ris = cse_tree_take_expired(now, &n);
    size_t removed = 0;
    if (!n)
        return 0;
    cse_txn_t txn;
    cse_txn_init(&txn);
    cse_commit_begin();
    cse_tree_wrlock();
    for (size_t i = 0; i < n; i++) {
        cse_res_t *r = cse_tree_by_ri(ris[i]);
        if (r && r->et_us && r->et_us <= now && r->parent) {
            cse_op_t op;
            memset(&op, 0, sizeof(op));
            op.txn = &txn;
            op.target = r;
            op.now_us = now;
            /* Expiry removes whatever its type (even types no request may delete). */
            cse_res_t *parent = r->parent;
            cse_txn_remove(&txn, r);
            const cse_rtype_t *t = cse_rtype_find(r->ty);
            if (t && t->removed) {
                op.res = parent;
                t->removed(&op);
            }
            removed++;
        }
        free(ris[i]);
    }
    free(ris);
    cse_commit_submit(&txn);
    cse_tree_unlock();
    if (cse_commit_wait(&txn) == 0) {
        for (size_t i = 0; i < txn.nderegistered; i++) {
            cse_evt_deregister_ae_t ev = {
                .version = 1, .aei = txn.deregistered[i], .reason = "expired"};
            if (cse_plugin_host_has(CSE_EVT_DEREGISTER_AE))
                cse_plugin_host_run(CSE_EVT_DEREGISTER_AE, &ev);
        }
        if (removed)
            cse_log(CSE_LOG_INFO, "expired %zu resource(s)", removed);
    } else {
        removed = 0;
    }
    cse_txn_finish(&txn);
    return removed;
}

static void *sweeper(void *arg) {
    (void)arg;
    pthread_mutex_lock(&core.mu);
    while (!core.stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&core.wake, &core.mu, &ts);
        if (core.stop)
            break;
        pthread_mutex_unlock(&core.mu);
        cse_core_expire(cse_clock_now_us());
        pthread_mutex_lock(&core.mu);
    }
    pthread_mutex_unlock(&core.mu);
    return NULL;
}

/* ---- lifetime --------------------------------------------------------- */

int cse_core_init(const cse_config_t *cfg, cse_store_t *store, char *err, size_t err_cap) {
    loaded_t l = {NULL, 0, 0, 0};
    if (cse_tree_init() != 0) {
        snprintf(err, err_cap, "cannot initialise the resource tree");
        return -1;
    }
    core.cfg = cfg;
    core.store = store;
    cse_address_configure(cfg->cse_id, cfg->sp_id);
    if (store && cse_store_load(store, load_row, &l) != 0) {
        snprintf(err, err_cap, "cannot load resources from the store");
        goto fail;
    }
    attach_loaded(&l);
    if (ensure_cse_base(cfg, err, err_cap) != 0)
        goto fail;
    cse_txn_t txn;
    cse_txn_init(&txn);
    recount(cse_tree_root(), &txn, cse_clock_now_us());
    if (commit_now(&txn) != 0) {
        snprintf(err, err_cap, "cannot store the container quotas");
        goto fail;
    }
    if (cse_commit_start(store) != 0) {
        snprintf(err, err_cap, "cannot start the commit thread");
        goto fail;
    }
    core.stop = 0;
    if (pthread_create(&core.sweeper, NULL, sweeper, NULL) != 0) {
        cse_commit_stop();
        snprintf(err, err_cap, "cannot start the expiration thread");
        goto fail;
    }
    core.running = 1;
    cse_log(CSE_LOG_INFO, "core ready: %zu resources, csi=%s", cse_tree_count(), cfg->cse_id);
    return 0;
fail:
    loaded_free(&l);
    cse_tree_destroy();
    core.cfg = NULL;
    core.store = NULL;
    return -1;
}

void cse_core_shutdown(void) {
    if (core.running) {
        pthread_mutex_lock(&core.mu);
        core.stop = 1;
        pthread_cond_signal(&core.wake);
        pthread_mutex_unlock(&core.mu);
        pthread_join(core.sweeper, NULL);
        core.running = 0;
    }
    cse_commit_stop();
    cse_tree_destroy();
    core.cfg = NULL;
    core.store = NULL;
}
