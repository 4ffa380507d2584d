/* TLS listener set-up of the HTTP binding (cse/http/http_tls.c): the
 * start-up refusals, the daemon options of each kind, and what a
 * connection's association puts into a request. Handshakes and client
 * certificates are exercised end to end (tests/e2e/test_https*.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cse/http/http_tls.h"

static cse_http_tls_t *create(int kind, const char *cert, const char *key, const char *ca, int auth,
                              char *err, size_t cap) {
    cse_http_tls_options_t o = {kind, cert, key, ca, auth, NULL, NULL};
    err[0] = '\0';
    return cse_http_tls_create(&o, err, cap);
}

static void test_x509_refusals(void **state) {
    char err[512], empty[] = "/tmp/cse-tls-empty-XXXXXX";
    int fd = mkstemp(empty);
    assert_true(fd >= 0);
    close(fd);
    struct {
        const char *cert, *key, *ca;
        int auth;
        const char *want;
    } cases[] = {
        {"", "", "", CSE_HTTP_CLIENT_AUTH_NONE, "http: tls = 1 needs tls_cert and tls_key"},
        {"c.pem", NULL, "", CSE_HTTP_CLIENT_AUTH_NONE, "http: tls = 1 needs tls_cert and tls_key"},
        {"c.pem", "k.pem", "", CSE_HTTP_CLIENT_AUTH_REQUIRED,
         "http: tls_client_auth = required needs tls_ca (the CA of client certificates)"},
        {"c.pem", "k.pem", NULL, CSE_HTTP_CLIENT_AUTH_OPTIONAL,
         "http: tls_client_auth = optional needs tls_ca (the CA of client certificates)"},
        {"c.pem", "k.pem", "ca.pem", CSE_HTTP_CLIENT_AUTH_NONE,
         "http: tls_ca is set but tls_client_auth = none: set it to optional or required, or "
         "remove tls_ca"},
        {"/nonexistent/c.pem", "k.pem", "", CSE_HTTP_CLIENT_AUTH_NONE,
         "http: tls_cert /nonexistent/c.pem: cannot open: No such file or directory"},
        {empty, "k.pem", "", CSE_HTTP_CLIENT_AUTH_NONE, NULL /* "empty file" */},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cse_http_tls_t *t = create(CSE_HTTP_TLS_X509, cases[i].cert, cases[i].key, cases[i].ca,
                                   cases[i].auth, err, sizeof(err));
        assert_null(t);
        if (cases[i].want)
            assert_string_equal(err, cases[i].want);
        else
            assert_true(strstr(err, empty) && strstr(err, ": empty file"));
    }
    /* Not PEM at all: GnuTLS names the problem with both files. */
    FILE *f = fopen(empty, "w");
    fputs("not a certificate\n", f);
    fclose(f);
    assert_null(
        create(CSE_HTTP_TLS_X509, empty, empty, "", CSE_HTTP_CLIENT_AUTH_NONE, err, sizeof(err)));
    assert_true(strncmp(err, "http: tls_cert ", 15) == 0 && strstr(err, "/ tls_key "));
    assert_null(create(99, NULL, NULL, NULL, 0, err, sizeof(err)));
    assert_string_equal(err, "http: tls: unknown listener kind 99");
    unlink(empty);
}

static void test_psk_listener(void **state) {
    char err[256];
    cse_http_tls_t *t =
        create(CSE_HTTP_TLS_PSK, NULL, NULL, NULL, CSE_HTTP_CLIENT_AUTH_REQUIRED, err, sizeof(err));
    assert_non_null(t);
    assert_string_equal(cse_http_tls_scheme(t), "https-psk");
    struct MHD_OptionItem ops[CSE_HTTP_TLS_MAX_OPTIONS];
    int n = cse_http_tls_mhd_options(t, ops);
    assert_int_equal(n, 3);
    int cred = 0, prio = 0, handler = 0;
    for (int i = 0; i < n; i++) {
        cred |= ops[i].option == MHD_OPTION_HTTPS_CRED_TYPE;
        handler |= ops[i].option == MHD_OPTION_GNUTLS_PSK_CRED_HANDLER;
        if (ops[i].option == MHD_OPTION_HTTPS_PRIORITIES) {
            prio = 1;
            assert_non_null(strstr(ops[i].ptr_value, "+VERS-TLS1.2"));
            assert_null(strstr(ops[i].ptr_value, "TLS1.3"));
            assert_non_null(strstr(ops[i].ptr_value, "+PSK"));
        }
    }
    assert_true(cred && prio && handler); /* the three settings PSK needs together */
    cse_http_tls_free(t);
    cse_http_tls_free(NULL);
}

static void test_association_in_request(void **state) {
    cse_http_tls_conn_t tc;
    memset(&tc, 0, sizeof(tc));
    tc.assoc_method = CSE_ASSOC_TLS_CERT;
    snprintf(tc.identity, sizeof(tc.identity), "urn:m2m:dev1");
    tc.session_id = 42;
    cse_security_context_t sec;
    memset(&sec, 0, sizeof(sec));
    cse_http_tls_conn_apply(&tc, &sec);
    assert_int_equal(sec.binding, CSE_BINDING_HTTPS);
    assert_int_equal(sec.assoc_method, CSE_ASSOC_TLS_CERT);
    assert_string_equal(sec.assoc_identity, "urn:m2m:dev1");
    assert_int_equal(sec.session_id, 42);
    /* A refused connection never lends its identity to a request. */
    tc.refused_rsc = 4107;
    cse_http_tls_conn_apply(&tc, &sec);
    assert_int_equal(sec.assoc_method, CSE_ASSOC_NONE);
    assert_null(sec.assoc_identity);
    /* Nothing was accounted: closing sends no SESSION_STOP (no listener set). */
    cse_http_tls_conn_closed(&tc);
    assert_int_equal(tc.accounted, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x509_refusals),
        cmocka_unit_test(test_psk_listener),
        cmocka_unit_test(test_association_in_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
