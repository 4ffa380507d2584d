/* RADIUS client: configuration checks, argument checks, dead-server
 * marking against a closed loopback port, secrets kept out of errors. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/aaa/radius_client.h"

/* A loopback UDP port with nothing listening (bound, then closed). */
static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static int create_with(const char *auth, const char *nas_id, const char *nas_ip, char *err,
                       size_t cap) {
    cssf_radius_config_t cfg;
    cssf_radius_client_t *c = NULL;
    cssf_radius_config_init(&cfg);
    cfg.auth_servers[0] = auth;
    cfg.n_auth = 1;
    cfg.nas_identifier = nas_id;
    cfg.nas_ip_address = nas_ip;
    err[0] = '\0';
    int rc = cssf_radius_create(&cfg, &c, err, cap);
    assert_true(rc == 0 ? c != NULL : c == NULL);
    cssf_radius_destroy(c);
    return rc;
}

static void server_specs(void **state) {
    (void)state;
    char err[256];
    assert_int_equal(create_with("127.0.0.1:1812:s3cret", "n", NULL, err, sizeof err), 0);
    assert_int_equal(create_with("[::1]:1812:s3cret", "n", NULL, err, sizeof err), 0);
    /* The secret is everything after the second colon. */
    assert_int_equal(create_with("127.0.0.1:1812:a:b:c", "n", NULL, err, sizeof err), 0);
    /* No secret yet: a server that waits for one (cssf_radius_set_secret). */
    assert_int_equal(create_with("127.0.0.1:1812", "n", NULL, err, sizeof err), 0);
    const char *bad[] = {"127.0.0.1",         "127.0.0.1:1812x", "127.0.0.1:abc:s", "127.0.0.1:0:s",
                         "127.0.0.1:65536:s", "127.0.0.1:1812:", "[::1:1812:s",     "[::1]1812:s",
                         ":1812:s",           "127.0.0.1:-1:s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(create_with(bad[i], "n", NULL, err, sizeof err), -1);
        assert_true(strlen(err) > 0);
    }
    char long_secret[200];
    snprintf(long_secret, sizeof long_secret, "127.0.0.1:1812:%0150d", 7);
    assert_int_equal(create_with(long_secret, "n", NULL, err, sizeof err), -1);
}

static void secrets_never_in_errors(void **state) {
    (void)state;
    char err[256];
    assert_int_equal(create_with("127.0.0.1:notaport:TOPSECRET", "n", NULL, err, sizeof err), -1);
    assert_null(strstr(err, "TOPSECRET"));
    assert_non_null(strstr(err, "authentication server 1"));
}

static void nas_identification(void **state) {
    (void)state;
    char err[256];
    assert_int_equal(create_with("127.0.0.1:1812:s", NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "NAS"));
    assert_int_equal(create_with("127.0.0.1:1812:s", NULL, "192.0.2.1", err, sizeof err), 0);
    assert_int_equal(create_with("127.0.0.1:1812:s", NULL, "2001:db8::1", err, sizeof err), 0);
    assert_int_equal(create_with("127.0.0.1:1812:s", "n", "not-an-ip", err, sizeof err), -1);
}

static void config_limits(void **state) {
    (void)state;
    cssf_radius_config_t cfg;
    cssf_radius_client_t *c = NULL;
    char err[256];
    cssf_radius_config_init(&cfg);
    cfg.nas_identifier = "n";
    assert_int_equal(cssf_radius_create(&cfg, &c, err, sizeof err), -1); /* no servers */
    cfg.auth_servers[0] = "127.0.0.1:1812:s";
    cfg.n_auth = 1;
    cfg.version = 99;
    assert_int_equal(cssf_radius_create(&cfg, &c, err, sizeof err), -1);
    cfg.version = CSSF_RADIUS_CONFIG_VERSION;
    cfg.n_acct = CSSF_RADIUS_MAX_SERVERS + 1;
    assert_int_equal(cssf_radius_create(&cfg, &c, err, sizeof err), -1);
    assert_null(c);
}

static cssf_radius_client_t *client_on(int port, unsigned dead_after) {
    char spec[64];
    snprintf(spec, sizeof spec, "127.0.0.1:%d:secret", port);
    cssf_radius_config_t cfg;
    cssf_radius_config_init(&cfg);
    cfg.auth_servers[0] = spec;
    cfg.n_auth = 1;
    cfg.nas_identifier = "unit";
    cfg.timeout_ms = 100;
    cfg.retries = 0;
    cfg.dead_after = dead_after;
    cfg.probe_interval_ms = 60000;
    cssf_radius_client_t *c = NULL;
    char err[128];
    assert_int_equal(cssf_radius_create(&cfg, &c, err, sizeof err), 0);
    return c;
}

static void bad_arguments(void **state) {
    (void)state;
    cssf_radius_client_t *c = client_on(closed_port(), 3);
    cssf_radius_reply_t r;
    uint8_t pw[129] = {0};
    assert_int_equal(cssf_radius_authenticate(c, "", pw, 1, NULL, &r), CSSF_RADIUS_ERROR);
    assert_int_equal(cssf_radius_authenticate(c, "u", pw, 129, NULL, &r), CSSF_RADIUS_ERROR);
    assert_int_equal(cssf_radius_authenticate(c, "u", NULL, 3, NULL, &r), CSSF_RADIUS_ERROR);
    assert_int_equal(cssf_radius_authenticate(NULL, "u", pw, 1, NULL, &r), CSSF_RADIUS_ERROR);
    /* No accounting server configured. */
    cssf_radius_acct_t rec = {.status_type = CSSF_RADIUS_ACCT_START, .session_id = "s"};
    assert_int_equal(cssf_radius_account(c, &rec, &r), CSSF_RADIUS_ERROR);
    assert_int_equal(cssf_radius_account(c, NULL, NULL), CSSF_RADIUS_ERROR);
    assert_string_equal(cssf_radius_result_name(CSSF_RADIUS_INVALID), "INVALID");
    assert_string_equal(cssf_radius_result_name((cssf_radius_result_t)42), "UNKNOWN");
    cssf_radius_destroy(c);
}

static void dead_after_consecutive_failures(void **state) {
    (void)state;
    cssf_radius_client_t *c = client_on(closed_port(), 2);
    cssf_radius_reply_t r;
    const uint8_t *pw = (const uint8_t *)"pw";
    assert_int_equal(cssf_radius_authenticate(c, "u", pw, 2, NULL, &r), CSSF_RADIUS_TIMEOUT);
    assert_null(strstr(r.reason, "marked dead"));
    assert_int_equal(cssf_radius_authenticate(c, "u", pw, 2, NULL, &r), CSSF_RADIUS_TIMEOUT);
    /* Two failures: dead, and now refused without sending anything. */
    assert_int_equal(cssf_radius_authenticate(c, "u", pw, 2, NULL, &r), CSSF_RADIUS_TIMEOUT);
    assert_non_null(strstr(r.reason, "marked dead"));
    assert_int_equal(r.server, -1);
    /* status probes anyway and reports the server down. */
    cssf_radius_server_status_t st[2];
    size_t n = 0;
    assert_int_equal(cssf_radius_status(c, st, 2, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(st[0].alive, 0);
    assert_null(strstr(st[0].name, "secret"));
    /* destroy does not wait for the 60 s probe period. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cssf_radius_destroy(c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 2);
}

/* A server without a secret fails closed with a reason naming it, is
 * never marked dead for it, and takes a secret while running. */
static void secret_set_while_running(void **state) {
    (void)state;
    int port = closed_port();
    char spec[64], name[64];
    snprintf(spec, sizeof spec, "127.0.0.1:%d", port);
    snprintf(name, sizeof name, "127.0.0.1:%d", port);
    cssf_radius_config_t cfg;
    cssf_radius_config_init(&cfg);
    cfg.auth_servers[0] = spec;
    cfg.n_auth = 1;
    cfg.acct_servers[0] = spec;
    cfg.n_acct = 1;
    cfg.nas_identifier = "unit";
    cfg.timeout_ms = 50;
    cfg.retries = 0;
    cfg.dead_after = 1;
    cssf_radius_client_t *c = NULL;
    char err[128];
    assert_int_equal(cssf_radius_create(&cfg, &c, err, sizeof err), 0);
    cssf_radius_server_info_t info[4];
    assert_int_equal(cssf_radius_servers(c, info, 4), 2);
    assert_string_equal(info[0].name, name);
    assert_false(info[0].has_secret);
    assert_true(info[1].acct);
    cssf_radius_reply_t r;
    const uint8_t *pw = (const uint8_t *)"pw";
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cssf_radius_authenticate(c, "u", pw, 2, NULL, &r), CSSF_RADIUS_ERROR);
        char want[128];
        snprintf(want, sizeof want,
                 "no shared secret for %s; set one with cssfctl radius set-secret", name);
        assert_string_equal(r.reason, want);
    }
    cssf_radius_server_status_t st[2];
    size_t n = 0;
    assert_int_equal(cssf_radius_status(c, st, 2, &n), 0);
    assert_non_null(strstr(st[0].reason, "no shared secret"));
    /* Bad arguments, unknown names. */
    uint8_t big[129];
    memset(big, 'x', sizeof big);
    assert_int_equal(cssf_radius_set_secret(c, name, big, 129), -1);
    assert_int_equal(cssf_radius_set_secret(c, name, (const uint8_t *)"a\0b", 3), -1);
    assert_int_equal(cssf_radius_set_secret(c, "127.0.0.1:1", (const uint8_t *)"s", 1), 0);
    assert_int_equal(cssf_radius_set_secret(NULL, name, (const uint8_t *)"s", 1), -1);
    /* Set: both servers of that name take it; requests go out (and time
     * out: nothing listens), so the server was not dead before. */
    assert_int_equal(cssf_radius_set_secret(c, name, big, 128), 2);
    assert_int_equal(cssf_radius_servers(c, info, 4), 2);
    assert_true(info[0].has_secret && info[1].has_secret);
    assert_int_equal(cssf_radius_authenticate(c, "u", pw, 2, NULL, &r), CSSF_RADIUS_TIMEOUT);
    assert_null(strstr(r.reason, "marked dead"));
    /* Removed again: fail closed again. */
    assert_int_equal(cssf_radius_set_secret(c, name, NULL, 0), 2);
    assert_int_equal(cssf_radius_authenticate(c, "u", pw, 2, NULL, &r), CSSF_RADIUS_ERROR);
    assert_non_null(strstr(r.reason, "no shared secret"));
    cssf_radius_destroy(c);
}

typedef struct swap_arg {
    cssf_radius_client_t *c;
    const char *name;
    int stop;
} swap_arg_t;

static void *swapper(void *p) {
    swap_arg_t *a = p;
    for (int i = 0; !__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE); i++) {
        const char *s = i % 2 ? "secret-one" : "another-secret-two";
        cssf_radius_set_secret(a->c, a->name, (const uint8_t *)s, strlen(s));
    }
    return NULL;
}

/* Swapping while requests run: no torn secret, no crash (ASan/TSan). */
static void secret_swap_concurrent(void **state) {
    (void)state;
    int port = closed_port();
    char spec[64];
    snprintf(spec, sizeof spec, "127.0.0.1:%d:initial", port);
    cssf_radius_config_t cfg;
    cssf_radius_config_init(&cfg);
    cfg.auth_servers[0] = spec;
    cfg.n_auth = 1;
    cfg.nas_identifier = "unit";
    cfg.timeout_ms = 5;
    cfg.retries = 0;
    cfg.dead_after = 1000;
    cssf_radius_client_t *c = NULL;
    char err[128];
    assert_int_equal(cssf_radius_create(&cfg, &c, err, sizeof err), 0);
    swap_arg_t a = {c, spec, 0};
    a.name = strndup(spec, strrchr(spec, ':') - spec);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, swapper, &a), 0);
    cssf_radius_reply_t r;
    for (int i = 0; i < 20; i++)
        assert_int_equal(cssf_radius_authenticate(c, "u", (const uint8_t *)"pw", 2, NULL, &r),
                         CSSF_RADIUS_TIMEOUT);
    __atomic_store_n(&a.stop, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    free((void *)a.name);
    cssf_radius_destroy(c);
}

static void reply_clear_wipes(void **state) {
    (void)state;
    cssf_radius_reply_t r;
    memset(&r, 0xab, sizeof r);
    cssf_radius_reply_clear(&r);
    assert_int_equal(r.tunnel_password[0], 0);
    assert_int_equal(r.tunnel_password_len, 0);
    assert_int_equal(r.server, -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(server_specs),           cmocka_unit_test(secrets_never_in_errors),
        cmocka_unit_test(nas_identification),     cmocka_unit_test(config_limits),
        cmocka_unit_test(bad_arguments),          cmocka_unit_test(dead_after_consecutive_failures),
        cmocka_unit_test(reply_clear_wipes),      cmocka_unit_test(secret_set_while_running),
        cmocka_unit_test(secret_swap_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
