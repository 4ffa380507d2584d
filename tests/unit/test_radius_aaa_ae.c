/* The AAA state's AE registration accounting (plugin/aaa/aaa.c glue over
 * acct_ae.c): registrations and deregistrations reach the durable queue,
 * sessions outlive the state, those whose AE is gone stop once armed, and
 * a store that keeps nothing ends them at shutdown. The accounting server
 * is a closed port, so every record stays in the queue, where it is
 * counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/aaa/aaa.h"
#include "plugin/aaa/aaa_config.h"

typedef struct fixture {
    char dir[64], queue[96];
} fixture_t;

static cssf_aaa_t *aaa_on(const fixture_t *f) {
    cssf_aaa_config_t c;
    cssf_aaa_t *a = NULL;
    char err[256];
    const char *kv[][2] = {{"radius_acct_servers", "127.0.0.1:9:ae-unit-secret"},
                           {"radius_acct_queue", f->queue},
                           {"radius_acct_interim", "0"},
                           {"radius_timeout_ms", "100"},
                           {"radius_retries", "0"}};
    cssf_aaa_config_init(&c);
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        assert_int_equal(cssf_aaa_config_option(&c, kv[i][0], kv[i][1], err, sizeof err), 1);
    assert_int_equal(cssf_aaa_create(&c, "/id-in", &a, err, sizeof err), 0);
    cssf_aaa_config_free(&c);
    assert_true(cssf_aaa_acct_enabled(a));
    return a;
}

static uint64_t pending(cssf_aaa_t *a) {
    cssf_acct_queue_stats_t st;
    assert_int_equal(cssf_aaa_acct_stats(a, &st), 0);
    return st.pending;
}

static int exists_never(void *ctx, const char *aei) {
    (void)ctx;
    (void)aei;
    return 0;
}

static int exists_always(void *ctx, const char *aei) {
    (void)ctx;
    (void)aei;
    return 1;
}

static void registrations(void **state) {
    (void)state;
    fixture_t f;
    snprintf(f.dir, sizeof f.dir, "/tmp/aaa-ae-XXXXXX");
    assert_non_null(mkdtemp(f.dir));
    snprintf(f.queue, sizeof f.queue, "%s/acct.db", f.dir);

    cssf_aaa_t *a = aaa_on(&f);
    cssf_aaa_ae_register(a, "Cae1", NULL, 100, 200);
    cssf_aaa_ae_register(a, "Cae2", "dev-2", 100, 200);
    assert_int_equal(cssf_aaa_ae_open(a), 2);
    /* A request of the registration itself and one of the AE: counted, no
     * record (nothing else to see here). */
    cse_evt_accounting_t ev = {.version = 2, .kind = CSE_ACCT_REQUEST, .originator = "Cae1"};
    cssf_aaa_on_accounting(a, &ev);
    ev.aei = "Cae1";
    cssf_aaa_on_accounting(a, &ev);
    cssf_aaa_ae_deregister(a, "Cae2", "delete");
    cssf_aaa_ae_deregister(a, "Cunknown", "expired");
    assert_int_equal(cssf_aaa_ae_open(a), 1);
    assert_int_equal(pending(a), 3); /* Start, Start, Stop */
    /* A persistent store whose AEs all exist: nothing stops, at shutdown either. */
    cssf_aaa_ae_arm(a, 1, exists_always, NULL);
    usleep(1300 * 1000); /* past the first tick */
    assert_int_equal(cssf_aaa_ae_open(a), 1);
    cssf_aaa_destroy(a);

    /* The next start continues Cae1; once armed, a vanished AE stops. A
     * store that keeps nothing also ends open AE sessions at shutdown. */
    a = aaa_on(&f);
    assert_int_equal(cssf_aaa_ae_open(a), 1);
    assert_int_equal(pending(a), 3);
    cssf_aaa_ae_arm(a, 0, exists_never, NULL);
    for (int i = 0; i < 40 && cssf_aaa_ae_open(a); i++)
        usleep(100 * 1000);
    assert_int_equal(cssf_aaa_ae_open(a), 0);
    assert_int_equal(pending(a), 4);
    cssf_aaa_ae_register(a, "Cae3", NULL, 1, 1);
    cssf_aaa_destroy(a);
    a = aaa_on(&f);
    assert_int_equal(cssf_aaa_ae_open(a), 0);
    assert_int_equal(pending(a), 6); /* Cae3's Start and Stop */
    cssf_aaa_destroy(a);

    /* Accounting off: no-ops. */
    cssf_aaa_ae_register(NULL, "Cx", NULL, 0, 0);
    cssf_aaa_ae_deregister(NULL, "Cx", "delete");
    cssf_aaa_ae_arm(NULL, 1, exists_never, NULL);
    assert_int_equal(cssf_aaa_ae_open(NULL), 0);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f.dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registrations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
