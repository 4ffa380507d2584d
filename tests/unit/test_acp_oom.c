/*
 * Out-of-memory paths of the ACP parser, cache and decision: every
 * allocation is made to fail in turn, and each time the code must fail
 * cleanly (NULL / deny), leak nothing, and succeed once memory is back.
 * Replaces malloc and friends, so it is skipped under AddressSanitizer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/authz/acp_cache.h"
#include "plugin/authz/authorize.h"

#if defined(__SANITIZE_ADDRESS__)
#define OOM_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OOM_SKIP 1
#endif
#endif

#ifndef OOM_SKIP
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static long fail_at = -1; /* allocation number that fails, -1 = none */
static long allocs, live;

static int should_fail(void) {
    return fail_at >= 0 && allocs++ == fail_at;
}

void *malloc(size_t n) {
    void *p = should_fail() ? NULL : __libc_malloc(n);
    live += p != NULL;
    return p;
}

void *calloc(size_t n, size_t size) {
    void *p = should_fail() ? NULL : __libc_calloc(n, size);
    live += p != NULL;
    return p;
}

void *realloc(void *old, size_t n) {
    if (should_fail())
        return NULL;
    void *p = __libc_realloc(old, n);
    live += old == NULL && p != NULL;
    return p;
}

void free(void *p) {
    live -= p != NULL;
    __libc_free(p);
}

/* Runs fn with the n-th allocation failing, for n = 0, 1, ... until a run
 * needs no failure; checks that nothing leaks in any run. */
static void each_failure(int (*fn)(void)) {
    for (long n = 0;; n++) {
        long before = live;
        allocs = 0;
        fail_at = n;
        int ok = fn();
        fail_at = -1;
        if (live != before)
            fail_msg("leak of %ld with allocation %ld failing", live - before, n);
        if (allocs <= n) { /* no allocation failed: the run must succeed */
            assert_true(ok);
            return;
        }
        assert_true(n < 100000);
    }
}

static const cssf_ids_t ids = {"/id-in", "sp.example"};

#define BIG_ACP                                                                                    \
    "{\"m2m:acp\":{\"ri\":\"acp1\",\"ty\":1,\"pv\":{\"acr\":[{\"acor\":[\"Cabc\",\"all\"],"        \
    "\"acop\":63,\"acco\":[{\"actw\":[\"* * * * * * *\"],\"acip\":{\"ipv4\":[\"10.0.0.0/8\"]},"    \
    "\"aclr\":{\"accc\":[\"FR\"]}}],\"acod\":[{\"chty\":[3,4]}]},{\"acor\":[\"Cx\"],"              \
    "\"acop\":2,\"bad\":1}]},\"pvs\":{\"acr\":[{\"acor\":[\"Cx\"],\"acop\":4}]},"                  \
    "\"acpi\":[\"a\"],\"cr\":\"Cx\"}}"

static int run_parse(void) {
    char big[8192];
    /* long enough to need several arena chunks */
    snprintf(big, sizeof(big), "%s", BIG_ACP);
    cssf_res_t *r = cssf_res_parse(big, strlen(big), NULL, 1, &ids, NULL, 0);
    int ok = r && r->pv.n == 2 && r->pv.r[1].invalid;
    cssf_res_release(r);
    return ok;
}

static int run_parse_large(void) {
    static char big[64 * 1024];
    size_t len = (size_t)snprintf(big, sizeof(big), "{\"ty\":1,\"pv\":{\"acr\":[");
    for (int i = 0; i < 150; i++)
        len += (size_t)snprintf(big + len, sizeof(big) - len,
                                "%s{\"acor\":[\"C%d\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * * * "
                                "* * *\"]}]}",
                                i ? "," : "", i);
    snprintf(big + len, sizeof(big) - len, "]}}");
    cssf_res_t *r = cssf_res_parse(big, strlen(big), "k", 1, &ids, NULL, 0);
    int ok = r && r->pv.n == 150;
    cssf_res_release(r);
    return ok;
}

static int run_cache(void) {
    int ok = 0;
    cssf_acp_cache_t *c = cssf_acp_cache_create(1000);
    if (!c)
        return 0;
    char json[64], ri[16];
    for (int i = 0; i < 80; i++) { /* crosses a resize */
        snprintf(ri, sizeof(ri), "r%d", i);
        snprintf(json, sizeof(json), "{\"ty\":1}");
        cssf_res_t *r = cssf_res_parse(json, strlen(json), ri, 1, &ids, NULL, 0);
        if (!r)
            goto out;
        int rc = cssf_acp_cache_put(c, r);
        cssf_res_release(r);
        if (rc != 0)
            goto out;
    }
    ok = cssf_acp_cache_count(c) == 80;
out:
    cssf_acp_cache_destroy(c);
    return ok;
}

#define DECIDE_ACP                                                                                 \
    "{\"ri\":\"acp1\",\"ty\":1,\"pv\":{\"acr\":[{\"acor\":[\"Cq\"],\"acop\":2},{\"acor\":"         \
    "[\"Cabc\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * * * * * *\"]}]}]}}"

static int src_get(void *arg, const char *ri, uint64_t known, uint64_t *rev, char **json) {
    (void)arg;
    if (known == 1)
        return 1;
    *rev = 1;
    *json = strdup(strcmp(ri, "acp1") == 0 ? DECIDE_ACP : "{\"ty\":3,\"acpi\":[\"acp1\"]}");
    return *json ? 0 : -1;
}

static void src_release(void *arg, char *json) {
    (void)arg;
    free(json);
}

static int run_decide(void) {
    cssf_authz_source_t src = {src_get, src_release, NULL};
    cssf_authz_t *az = cssf_authz_create_with(&src, "/id-in", "sp.example");
    if (!az)
        return 0;
    static const char *const acpi[] = {"acp1"};
    cse_resource_view_t parent = {.ri = "cnt1", .pi = "ae1", .ty = 3};
    cse_resource_view_t target = {.ri = "cin1", .pi = "cnt1", .ty = 4};
    cse_evt_authorize_t ev = {
        .originator = "Cabc", .operation = CSE_OP_RETRIEVE, .target = &target, .parent = &parent};
    char out[128];
    /* twice: once reading the store, once from the cache */
    int ok = cssf_authz_decide(az, &ev, NULL, out, sizeof(out), NULL) == CSE_PLUGIN_OK &&
             cssf_authz_decide(az, &ev, NULL, out, sizeof(out), NULL) == CSE_PLUGIN_OK;
    parent.has_acpi = 1;
    parent.acpi = acpi;
    parent.acpi_count = 1;
    ok = ok && cssf_authz_decide(az, &ev, NULL, out, sizeof(out), NULL) == CSE_PLUGIN_OK;
    cssf_authz_destroy(az);
    return ok;
}

static void test_parse(void **state) {
    (void)state;
    each_failure(run_parse);
    each_failure(run_parse_large);
}

static void test_cache(void **state) {
    (void)state;
    each_failure(run_cache);
}

static void test_decide(void **state) {
    (void)state;
    time_t t = 0;
    struct tm tm;
    gmtime_r(&t, &tm); /* glibc loads its time zone data once, for good */
    each_failure(run_decide);
}
#endif

int main(void) {
#ifdef OOM_SKIP
    printf("1..0 # SKIP allocation failures need the real malloc\n");
    return 0;
#else
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_decide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
#endif
}
