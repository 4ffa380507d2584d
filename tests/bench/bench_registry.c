/* The device registry at scale: PSK lookup by identity (p50/p99), durable
 * device creation through cssf_registry_create (the call the admin API
 * makes), and resident memory per registered device.
 *   bench_registry [devices] [created-one-by-one] [lookups] [late-creates]
 * (default 100000 2000 1000000 50). The first devices are created one durable
 * transaction at a time; the rest are sealed and inserted in a single
 * transaction through the registry's store, then published as one view;
 * a last batch of creations is timed on the full registry, then suspends
 * and resumes of those devices while a second thread looks PSKs up (its
 * latency during changes), their deletion, and one full reload of the
 * view from the store (what start-up and key rotation do). A temporary
 * SQLite file and master key are used. Not run by ctest. */
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plugin/data/registry.h"
#include "plugin/data/registry_internal.h"

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set size in KiB, from /proc/self/statm. */
static long rss_kib(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, size_t n) {
    qsort(t, n, sizeof(*t), cmp_double);
    printf("%-34s %8zu ops  p50 %10.2f us  p99 %10.2f us  max %10.2f us\n", what, n, t[n / 2] * 1e6,
           t[(size_t)((double)n * 0.99)] * 1e6, t[n - 1] * 1e6);
}

/* The admin document of device i; its key is distinct per device. */
static json_t *device_doc(size_t i) {
    char id[32], aeid[32], ident[64], key[65];
    snprintf(id, sizeof(id), "dev-%07zu", i);
    snprintf(aeid, sizeof(aeid), "Cdev%07zu", i);
    snprintf(ident, sizeof(ident), "dev-%07zu@bench.example.net", i);
    snprintf(key, sizeof(key), "%016zx%016zx", i * 2654435761u + 1, ~i);
    return json_pack("{s:s, s:[s], s:{s:{s:s, s:s}}, s:s}", "id", id, "aeids", aeid, "credentials",
                     "psk", "identity", ident, "key", key, "group", "bench");
}

/* Creates devices [from, to) one durable transaction each; times in t. */
static int create_each(cssf_registry_t *r, size_t from, size_t to, double *t) {
    for (size_t i = from; i < to; i++) {
        json_t *doc = device_doc(i);
        cssf_registry_result_t res;
        double t0 = seconds();
        cssf_registry_create(r, doc, &res);
        t[i - from] = seconds() - t0;
        json_decref(doc);
        int ok = res.status == CSSF_REG_CREATED;
        if (!ok)
            fprintf(stderr, "create %zu: %d %s\n", i, res.status, res.error);
        cssf_registry_result_clear(&res);
        if (!ok)
            return -1;
    }
    return 0;
}

/* Seals and inserts devices [from, to) in one transaction, then publishes. */
static int bulk_load(cssf_registry_t *r, size_t from, size_t to) {
    char err[256];
    int rc = -1;
    if (cssf_regstore_begin(r->store) < 0)
        return -1;
    for (size_t i = from; i < to; i++) {
        json_t *doc = device_doc(i);
        cssf_device_t d;
        cssf_device_error_t e;
        uint8_t sealed[CSSF_PSK_MAX + CSSF_SEAL_OVERHEAD];
        int ok = cssf_device_parse(doc, r->host_cse_id, &d, &e) == 0;
        json_decref(doc);
        if (!ok) {
            fprintf(stderr, "device %zu: %s %s\n", i, e.field, e.msg);
            goto out;
        }
        ok = cssf_seal(&r->key, r->rng, d.psk, d.psk_len, d.id, sealed, sizeof(sealed),
                       &d.psk_sealed_len) == 0 &&
             (d.psk_sealed = malloc(d.psk_sealed_len)) != NULL;
        if (ok) {
            memcpy(d.psk_sealed, sealed, d.psk_sealed_len);
            snprintf(d.created, sizeof(d.created), "2026-01-01T00:00:00Z");
            memcpy(d.updated, d.created, sizeof(d.updated));
            ok = cssf_regstore_put(r->store, &d, 1, err, sizeof(err)) == 0;
        }
        cssf_device_clear(&d);
        if (!ok) {
            fprintf(stderr, "device %zu: cannot store\n", i);
            goto out;
        }
    }
    if (cssf_regstore_commit(r->store) < 0)
        goto out;
    rc = cssf_registry_publish(r, err, sizeof(err));
    return rc;
out:
    cssf_regstore_rollback(r->store);
    return rc;
}

/* n PSK lookups of random registered identities; times in t. */
static int lookups(cssf_registry_t *r, size_t devices, size_t n, double *t) {
    char ident[64], dev[CSSF_DEVICE_ID_MAX];
    uint8_t key[CSSF_PSK_MAX];
    size_t len, active = 0;
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        snprintf(ident, sizeof(ident), "dev-%07zu@bench.example.net", (size_t)(x % devices));
        double t0 = seconds();
        int a = cssf_registry_psk(r, ident, key, sizeof(key), &len, dev, sizeof(dev));
        t[i] = seconds() - t0;
        active += a == CSSF_REG_ACTIVE;
    }
    return active == n ? 0 : -1;
}

/* Suspends (1) or resumes (0) devices [from, to); times in t. */
static int suspend_each(cssf_registry_t *r, size_t from, size_t to, int suspended, double *t) {
    for (size_t i = from; i < to; i++) {
        char id[32];
        snprintf(id, sizeof(id), "dev-%07zu", i);
        cssf_registry_result_t res;
        double t0 = seconds();
        cssf_registry_set_suspended(r, id, suspended, &res);
        t[i - from] = seconds() - t0;
        int ok = res.status == CSSF_REG_OK;
        cssf_registry_result_clear(&res);
        if (!ok)
            return -1;
    }
    return 0;
}

/* Deletes devices [from, to); times in t. */
static int delete_each(cssf_registry_t *r, size_t from, size_t to, double *t) {
    for (size_t i = from; i < to; i++) {
        char id[32];
        snprintf(id, sizeof(id), "dev-%07zu", i);
        cssf_registry_result_t res;
        double t0 = seconds();
        cssf_registry_delete(r, id, &res);
        t[i - from] = seconds() - t0;
        int ok = res.status == CSSF_REG_NO_CONTENT;
        cssf_registry_result_clear(&res);
        if (!ok)
            return -1;
    }
    return 0;
}

/* PSK lookups of the devices that never change, on another thread. */
typedef struct prober {
    cssf_registry_t *r;
    size_t devices, n, cap;
    double *t;
    atomic_int stop;
    int failed;
} prober_t;

static void *probe(void *arg) {
    prober_t *p = arg;
    uint64_t x = 2463534242ull;
    while (!atomic_load(&p->stop) && p->n < p->cap) {
        char ident[64], dev[CSSF_DEVICE_ID_MAX];
        uint8_t key[CSSF_PSK_MAX];
        size_t len;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        snprintf(ident, sizeof(ident), "dev-%07zu@bench.example.net", (size_t)(x % p->devices));
        double t0 = seconds();
        int a = cssf_registry_psk(p->r, ident, key, sizeof(key), &len, dev, sizeof(dev));
        p->t[p->n++] = seconds() - t0;
        p->failed |= a != CSSF_REG_ACTIVE;
    }
    return NULL;
}

int main(int argc, char **argv) {
    size_t devices = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    size_t first = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;
    size_t nlook = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000000;
    if (devices < 1)
        devices = 1;
    if (first > devices)
        first = devices;
    size_t late = argc > 4 ? strtoul(argv[4], NULL, 10) : 50;
    if (nlook < 1)
        nlook = 1;
    if (late < 1)
        late = 1;
    char dir[] = "/tmp/bench-registry.XXXXXX", db[64], keyf[64], err[512];
    if (!mkdtemp(dir))
        return 1;
    snprintf(db, sizeof(db), "%s/cse.db", dir);
    snprintf(keyf, sizeof(keyf), "%s/master.key", dir);
    int rc = 1;
    size_t tn = nlook > first ? nlook : first;
    double *t = malloc(sizeof(double) * (tn > late ? tn : late));
    cssf_registry_t *r = NULL;
    cssf_registry_options_t o = {.db_path = db, .key_path = keyf, .host_cse_id = "/id-in"};
    if (!t || cssf_registry_open(&o, &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "open: %s\n", t ? err : "out of memory");
        goto out;
    }
    malloc_trim(0);
    long rss0 = rss_kib();
    printf("devices %zu (first %zu created one by one), lookups %zu\n", devices, first, nlook);

    double t0 = seconds();
    if (create_each(r, 0, first, t) < 0)
        goto out;
    printf("created %zu one by one in %.1f s\n", first, seconds() - t0);
    report("create (durable, 0..first)", t, first);

    t0 = seconds();
    if (bulk_load(r, first, devices) < 0) {
        fprintf(stderr, "bulk load failed\n");
        goto out;
    }
    printf("bulk-loaded %zu in one transaction + publish in %.1f s\n", devices - first,
           seconds() - t0);
    malloc_trim(0);
    long rss1 = rss_kib();
    printf("RSS %ld KiB empty -> %ld KiB with %zu devices: %.0f bytes/device\n", rss0, rss1,
           devices, (double)(rss1 - rss0) * 1024.0 / (double)devices);

    if (lookups(r, devices, nlook, t) < 0) {
        fprintf(stderr, "a lookup did not answer ACTIVE\n");
        goto out;
    }
    report("psk lookup", t, nlook);

    t0 = seconds();
    if (create_each(r, devices, devices + late, t) < 0)
        goto out;
    report("create (durable, at full size)", t, late);

    prober_t p = {.r = r, .devices = devices, .cap = 20000000};
    pthread_t th;
    if (!(p.t = malloc(p.cap * sizeof(double))) || pthread_create(&th, NULL, probe, &p) != 0)
        goto out;
    int changed = suspend_each(r, devices, devices + late, 1, t) == 0;
    if (changed)
        report("suspend (durable, at full size)", t, late);
    changed = changed && suspend_each(r, devices, devices + late, 0, t) == 0;
    atomic_store(&p.stop, 1);
    pthread_join(th, NULL);
    if (!changed || p.failed) {
        fprintf(stderr, "suspend/resume or the lookups beside them failed\n");
        free(p.t);
        goto out;
    }
    report("resume (durable, at full size)", t, late);
    if (p.n) /* the thread may not have run at all beside a few changes */
        report("psk lookup during those changes", p.t, p.n);
    free(p.t);

    if (delete_each(r, devices, devices + late, t) < 0)
        goto out;
    report("delete (durable, at full size)", t, late);

    t0 = seconds();
    pthread_mutex_lock(&r->write_lock);
    int reloaded = cssf_registry_publish(r, err, sizeof(err));
    pthread_mutex_unlock(&r->write_lock);
    if (reloaded < 0)
        goto out;
    printf("full reload of %zu devices from the store: %.0f ms\n", devices, (seconds() - t0) * 1e3);
    rc = 0;
out:
    cssf_registry_close(r);
    free(t);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}
