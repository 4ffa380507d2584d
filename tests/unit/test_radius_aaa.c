/* AAA pieces without a network: radius_* options, the answer cache and
 * the session table that turns CSE sessions into accounting records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/aaa/aaa.h"
#include "plugin/aaa/aaa_cache.h"
#include "plugin/aaa/aaa_config.h"
#include "plugin/aaa/acct_session.h"

static int opt(cssf_aaa_config_t *c, const char *k, const char *v) {
    char err[256];
    int rc = cssf_aaa_config_option(c, k, v, err, sizeof err);
    if (rc < 0)
        assert_true(strlen(err) > 0);
    return rc;
}

static void options(void **state) {
    (void)state;
    cssf_aaa_config_t c;
    cssf_aaa_config_init(&c);
    assert_false(cssf_aaa_config_enabled(&c));
    assert_int_equal(opt(&c, "policy_dir", "x"), 0); /* not ours */
    assert_int_equal(opt(&c, "radius_auth_servers", "127.0.0.1:1812:a, [::1]:1812  h:1"), 1);
    assert_int_equal(c.n_auth, 3);
    assert_string_equal(c.auth_servers[1], "[::1]:1812");
    assert_true(cssf_aaa_config_enabled(&c));
    assert_int_equal(opt(&c, "radius_auth_servers", ""), -1);
    assert_int_equal(opt(&c, "radius_auth_servers", "a:1 b:1 c:1 d:1 e:1 f:1 g:1 h:1 i:1"), -1);
    assert_int_equal(opt(&c, "radius_timeout_ms", "250"), 1);
    assert_int_equal(c.timeout_ms, 250);
    assert_int_equal(opt(&c, "radius_timeout_ms", "25x"), -1);
    assert_int_equal(opt(&c, "radius_timeout_ms", "-1"), -1);
    assert_int_equal(opt(&c, "radius_retries", "0"), 1);
    assert_true(c.retries_set);
    assert_int_equal(opt(&c, "radius_retries", "11"), -1);
    assert_int_equal(opt(&c, "radius_psk", "yes"), 1);
    assert_int_equal(opt(&c, "radius_psk", "maybe"), -1);
    assert_int_equal(opt(&c, "radius_psk_format", "raw"), 1);
    assert_int_equal(c.psk_format, CSSF_AAA_PSK_RAW);
    assert_int_equal(opt(&c, "radius_psk_format", "base64"), -1);
    assert_int_equal(opt(&c, "radius_nas_identifier", ""), -1);
    assert_int_equal(opt(&c, "radius_bogus", "1"), -1);
    char err[256];
    /* radius_psk without its password passes: it may be sealed. */
    assert_int_equal(cssf_aaa_config_check(&c, err, sizeof err), 0);
    assert_int_equal(opt(&c, "radius_psk_password", "lookup-pw"), 1);
    assert_int_equal(cssf_aaa_config_check(&c, err, sizeof err), 0);
    assert_int_equal(opt(&c, "radius_acct_servers", "127.0.0.1:1813"), 1);
    assert_int_equal(cssf_aaa_config_check(&c, err, sizeof err), -1); /* no queue file */
    assert_int_equal(opt(&c, "radius_acct_queue", "/tmp/q.db"), 1);
    assert_int_equal(cssf_aaa_config_check(&c, err, sizeof err), 0);
    cssf_aaa_config_free(&c);
    assert_int_equal(c.n_auth, 0);
    assert_null(c.psk_password);

    /* basic needs authentication servers. */
    cssf_aaa_config_init(&c);
    assert_int_equal(opt(&c, "radius_basic", "on"), 1);
    assert_int_equal(opt(&c, "radius_acct_servers", "127.0.0.1:1813:s"), 1);
    assert_int_equal(opt(&c, "radius_acct_queue", "/tmp/q.db"), 1);
    assert_int_equal(cssf_aaa_config_check(&c, err, sizeof err), -1);
    cssf_aaa_config_free(&c);
}

static void secret_file(void **state) {
    (void)state;
    char path[] = "/tmp/cssf-secret-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "file-secret\n", 12), 12);
    close(fd);
    cssf_aaa_config_t c;
    cssf_aaa_config_init(&c);
    assert_int_equal(opt(&c, "radius_secret_file", path), 1);
    assert_string_equal(c.secret, "file-secret");
    char err[256];
    assert_int_equal(
        cssf_aaa_config_option(&c, "radius_secret_file", "/nonexistent/x", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/x"));
    /* An empty file. */
    fd = open(path, O_WRONLY | O_TRUNC);
    close(fd);
    assert_int_equal(opt(&c, "radius_secret_file", path), -1);
    unlink(path);
    cssf_aaa_config_free(&c);
}

static void create_errors_and_off(void **state) {
    (void)state;
    cssf_aaa_config_t c;
    cssf_aaa_t *a = (cssf_aaa_t *)1;
    char err[256];
    cssf_aaa_config_init(&c);
    /* No servers: AAA is off, not an error. */
    assert_int_equal(cssf_aaa_create(&c, "/id-in", &a, err, sizeof err), 0);
    assert_null(a);
    assert_false(cssf_aaa_psk_enabled(a));
    assert_false(cssf_aaa_acct_enabled(a));
    cssf_aaa_session_start(a, 1, "u", NULL); /* no-ops */
    cssf_aaa_session_stop(a, 1);
    /* A malformed server is an error that names the expected form. */
    assert_int_equal(opt(&c, "radius_auth_servers", "127.0.0.1"), 1);
    assert_int_equal(cssf_aaa_create(&c, "/id-in", &a, err, sizeof err), -1);
    assert_null(a);
    assert_non_null(strstr(err, "host:port"));
    /* A server without a secret and no radius_secret_file is not: it
     * waits for a sealed one (test_radius_secrets.c). */
    assert_int_equal(opt(&c, "radius_auth_servers", "127.0.0.1:1812"), 1);
    assert_int_equal(cssf_aaa_create(&c, "/id-in", &a, err, sizeof err), 0);
    assert_non_null(a);
    cssf_aaa_destroy(a);
    cssf_aaa_config_free(&c);
}

static void server_split(void **state) {
    (void)state;
    char name[64];
    const char *secret;
    assert_int_equal(cssf_aaa_server_split("127.0.0.1:1812:a:b", name, sizeof name, &secret), 0);
    assert_string_equal(name, "127.0.0.1:1812");
    assert_string_equal(secret, "a:b");
    assert_int_equal(cssf_aaa_server_split("[::1]:01812", name, sizeof name, &secret), 0);
    assert_string_equal(name, "[::1]:1812");
    assert_null(secret);
    const char *bad[] = {"127.0.0.1", "127.0.0.1:", "[::1]", "[]:1812", ":1812",
                         "h:0",       "h:x",        "h:-1",  "h:65536", "h:1812x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cssf_aaa_server_split(bad[i], name, sizeof name, &secret), -1);
}

static void cache(void **state) {
    (void)state;
    cssf_aaa_cache_t *c = cssf_aaa_cache_create(16);
    uint8_t k1[32] = {1}, k2[32] = {2}, v[253];
    size_t n;
    cssf_aaa_cache_put(c, k1, "abc", 3, 1000);
    assert_int_equal(cssf_aaa_cache_get(c, k1, v, sizeof v, &n, 999), 1);
    assert_int_equal(n, 3);
    assert_memory_equal(v, "abc", 3);
    assert_int_equal(cssf_aaa_cache_get(c, k2, v, sizeof v, &n, 0), 0);
    assert_int_equal(cssf_aaa_cache_get(c, k1, v, 2, &n, 0), 0);           /* too small */
    assert_int_equal(cssf_aaa_cache_get(c, k1, v, sizeof v, &n, 1000), 0); /* expired */
    assert_int_equal(cssf_aaa_cache_get(c, k1, v, sizeof v, &n, 0), 0);    /* and gone */
    cssf_aaa_cache_put(c, k2, "x", 1, 5000);
    cssf_aaa_cache_drop(c, k2);
    assert_int_equal(cssf_aaa_cache_get(c, k2, v, sizeof v, &n, 0), 0);
    /* Same home slot for 20 keys: the window keeps the 8 that live longest. */
    for (int i = 0; i < 20; i++) {
        uint8_t k[32] = {0};
        k[31] = (uint8_t)i;
        cssf_aaa_cache_put(c, k, "v", 1, 100 + (uint64_t)i);
    }
    int hits = 0;
    for (int i = 0; i < 20; i++) {
        uint8_t k[32] = {0};
        k[31] = (uint8_t)i;
        hits += cssf_aaa_cache_get(c, k, v, sizeof v, &n, 0);
    }
    assert_int_equal(hits, 8);
    uint8_t last[32] = {0};
    last[31] = 19;
    assert_int_equal(cssf_aaa_cache_get(c, last, v, sizeof v, &n, 0), 1);
    cssf_aaa_cache_put(c, k1, v, 254, 10); /* too long: ignored */
    assert_int_equal(cssf_aaa_cache_get(c, k1, v, sizeof v, &n, 0), 0);
    cssf_aaa_cache_destroy(c);
}

typedef struct seen {
    int n;
    cssf_radius_acct_t recs[64];
    char ids[64][40];
    char users[64][32];
} seen_t;

static void collect(void *ctx, const cssf_radius_acct_t *rec) {
    seen_t *s = ctx;
    assert_true(s->n < 64);
    s->recs[s->n] = *rec;
    snprintf(s->ids[s->n], sizeof s->ids[0], "%s", rec->session_id);
    snprintf(s->users[s->n], sizeof s->users[0], "%s", rec->user_name ? rec->user_name : "");
    s->recs[s->n].session_id = s->ids[s->n];
    s->n++;
}

static void sessions(void **state) {
    (void)state;
    seen_t s = {0};
    cssf_acct_sessions_t *t = cssf_acct_sessions_create("boot1", 60, 4, collect, &s);
    assert_int_equal(cssf_acct_sessions_start(t, 7, "dev-7", "192.0.2.7", 1000), 0);
    assert_int_equal(cssf_acct_sessions_start(t, 7, "dev-7", NULL, 1000), -1); /* open */
    assert_int_equal(cssf_acct_sessions_start(t, 0, "x", NULL, 1000), -1);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.recs[0].status_type, CSSF_RADIUS_ACCT_START);
    assert_string_equal(s.ids[0], "boot1-0000000000000007");
    assert_string_equal(s.users[0], "dev-7");
    cssf_acct_sessions_traffic(t, 7, 100, 1000);
    cssf_acct_sessions_traffic(t, 7, 50, 500);
    cssf_acct_sessions_traffic(t, 99, 1, 1); /* unknown: ignored */
    assert_int_equal(cssf_acct_sessions_tick(t, 1059), 0);
    assert_int_equal(cssf_acct_sessions_tick(t, 1060), 1);
    assert_int_equal(s.recs[1].status_type, CSSF_RADIUS_ACCT_INTERIM);
    assert_int_equal(s.recs[1].session_time, 60);
    assert_int_equal(s.recs[1].input_octets, 150);
    assert_int_equal(s.recs[1].output_octets, 1500);
    assert_int_equal(s.recs[1].input_packets, 2);
    assert_int_equal(s.recs[1].terminate_cause, 0);
    assert_int_equal(cssf_acct_sessions_tick(t, 1100), 0); /* next one at 1120 */
    cssf_acct_sessions_stop(t, 7, CSSF_ACCT_CAUSE_USER_REQUEST, 1130);
    assert_int_equal(s.recs[2].status_type, CSSF_RADIUS_ACCT_STOP);
    assert_int_equal(s.recs[2].session_time, 130);
    assert_int_equal(s.recs[2].terminate_cause, CSSF_ACCT_CAUSE_USER_REQUEST);
    cssf_acct_sessions_stop(t, 7, 1, 1131); /* already stopped */
    assert_int_equal(s.n, 3);
    assert_int_equal(cssf_acct_sessions_open(t), 0);

    /* The bound, and Stop(NAS-Reboot) for the open ones at destroy. */
    for (uint64_t sid = 1; sid <= 4; sid++)
        assert_int_equal(cssf_acct_sessions_start(t, sid, NULL, NULL, 2000), 0);
    assert_int_equal(cssf_acct_sessions_start(t, 5, NULL, NULL, 2000), -1);
    assert_int_equal(cssf_acct_sessions_open(t), 4);
    /* Stopping one in the middle of a probe run keeps the others findable. */
    cssf_acct_sessions_stop(t, 2, 1, 2001);
    cssf_acct_sessions_traffic(t, 3, 10, 10);
    cssf_acct_sessions_traffic(t, 4, 10, 10);
    int before = s.n;
    cssf_acct_sessions_destroy(t, 2010);
    assert_int_equal(s.n - before, 3);
    for (int i = before; i < s.n; i++) {
        assert_int_equal(s.recs[i].status_type, CSSF_RADIUS_ACCT_STOP);
        assert_int_equal(s.recs[i].terminate_cause, CSSF_ACCT_CAUSE_NAS_REBOOT);
        if (!strcmp(s.ids[i], "boot1-0000000000000003"))
            assert_int_equal(s.recs[i].input_octets, 10);
    }
}

/* Many sessions with colliding probe runs: start/stop in mixed order,
 * every remaining one still found. */
static void sessions_table_churn(void **state) {
    (void)state;
    seen_t s = {0};
    cssf_acct_sessions_t *t = cssf_acct_sessions_create("", 0, 1000, collect, &s);
    for (uint64_t sid = 1; sid <= 1000; sid++) {
        s.n = 0;
        assert_int_equal(cssf_acct_sessions_start(t, sid, NULL, NULL, 0), 0);
    }
    for (uint64_t sid = 1; sid <= 1000; sid += 3) {
        s.n = 0;
        cssf_acct_sessions_stop(t, sid, 1, 1);
        assert_int_equal(s.n, 1);
    }
    for (uint64_t sid = 1; sid <= 1000; sid++) {
        s.n = 0;
        cssf_acct_sessions_stop(t, sid, 1, 2);
        assert_int_equal(s.n, (sid - 1) % 3 ? 1 : 0);
    }
    assert_int_equal(cssf_acct_sessions_open(t), 0);
    assert_int_equal(cssf_acct_sessions_tick(t, 100000), 0); /* interim 0: never */
    s.n = 0;
    cssf_acct_sessions_destroy(t, 3);
    assert_int_equal(s.n, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options),
        cmocka_unit_test(secret_file),
        cmocka_unit_test(create_errors_and_off),
        cmocka_unit_test(server_split),
        cmocka_unit_test(cache),
        cmocka_unit_test(sessions),
        cmocka_unit_test(sessions_table_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
