/* The CoAP listeners over real loopback sockets (cse/coap/coap_server.c,
 * coap_dtls.c) driven by the project's client (coap_client.c): plain CoAP,
 * DTLS-PSK through a PSK_LOOKUP handler, certificates bound by CERT_CHECK
 * (generated with openssl at test time), block-wise over DTLS, session bounds.
 * A recording handler stands in for the pipeline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cse/coap/coap_client.h"
#include "cse/coap/coap_onem2m.h"
#include "cse/coap/coap_server.h"
#include "cse/core/rsc.h"

static const uint8_t psk_key[] = "0123456789abcdef";

/* What the handler saw last (written on the server thread, read after the
 * response arrived). */
static cse_request_t seen;
static char seen_identity[256];
static size_t seen_body_len;
static int psk_lookups, cert_checks;
static char tmpdir[64];

static void handler(cse_request_t *req, cse_response_t *resp) {
    seen = *req;
    memset(seen.q.lbl, 0, sizeof(seen.q.lbl));
    snprintf(seen_identity, sizeof(seen_identity), "%s",
             req->sec.assoc_identity ? req->sec.assoc_identity : "");
    seen_body_len = req->body_len;
    resp->rsc = CSE_RSC_OK;
    size_t n = strcmp(req->to, "/big") == 0 ? 5000 : 10;
    resp->body = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        resp->body[i] = (char)('A' + i % 23);
    resp->body_len = n;
}

static int run_event(int event, void *data) {
    if (event == CSE_EVT_PSK_LOOKUP) {
        cse_evt_psk_lookup_t *ev = data;
        psk_lookups++;
        if (strcmp(ev->identity, "dev1") != 0)
            return CSE_PLUGIN_DENY;
        memcpy(ev->key, psk_key, 16);
        ev->key_len = 16;
        return CSE_PLUGIN_OK;
    }
    if (event == CSE_EVT_CERT_CHECK) {
        cse_evt_cert_check_t *ev = data;
        cert_checks++;
        if (!ev->san_uri || strstr(ev->san_uri, "banned"))
            return CSE_PLUGIN_DENY;
        snprintf(ev->identity, ev->identity_cap, "bound:%s", ev->san_uri);
        return CSE_PLUGIN_OK;
    }
    return CSE_PLUGIN_DEFER;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...) {
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* CA, server certificate, and client certificates with SAN URIs, all EC P-256;
 * plus a client from another CA. Private keys live only in the temp dir. */
static void make_certs(void) {
    strcpy(tmpdir, "/tmp/coap-certs-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    assert_int_equal(sh("cd %s && openssl req -x509 %s -keyout ca.key -out ca.pem -days 2 "
                        "-subj /CN=test-ca 2>/dev/null",
                        tmpdir, ec),
                     0);
    assert_int_equal(sh("cd %s && openssl req -x509 %s -keyout other.key -out other.pem -days 2 "
                        "-subj /CN=other-ca 2>/dev/null",
                        tmpdir, ec),
                     0);
    static const struct {
        const char *name, *ca, *san;
    } leaves[] = {
        {"server", "ca", "DNS:localhost"},
        {"dev", "ca", "URI:urn:m2m:dev-cert"},
        {"banned", "ca", "URI:urn:m2m:banned"},
        {"stranger", "other", "URI:urn:m2m:dev-cert"},
    };
    for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
        assert_int_equal(
            sh("cd %s && openssl req %s -keyout %s.key -out %s.csr -subj /CN=%s 2>/dev/null && "
               "printf 'subjectAltName=%s\\n' > %s.ext && "
               "openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key -CAcreateserial "
               "-days 2 -extfile %s.ext -out %s.pem 2>/dev/null",
               tmpdir, ec, leaves[i].name, leaves[i].name, leaves[i].name, leaves[i].san,
               leaves[i].name, leaves[i].name, leaves[i].ca, leaves[i].ca, leaves[i].name,
               leaves[i].name),
            0);
}

static cse_coap_server_t *start_idle(int max_sessions, uint32_t idle_ms) {
    static char cert[128], key[128], ca[128];
    cse_coap_server_opts_t o;
    char err[256];
    cse_coap_server_opts_default(&o);
    o.port = 0;
    o.dtls_port = 0;
    o.endpoint.handler = handler;
    o.dtls.run_event = run_event;
    o.dtls.max_sessions = max_sessions;
    if (idle_ms)
        o.dtls.idle_timeout_ms = idle_ms;
    snprintf(cert, sizeof(cert), "%s/server.pem", tmpdir);
    snprintf(key, sizeof(key), "%s/server.key", tmpdir);
    snprintf(ca, sizeof(ca), "%s/ca.pem", tmpdir);
    o.dtls.cert_file = cert;
    o.dtls.key_file = key;
    o.dtls.ca_file = ca;
    cse_coap_server_t *srv = cse_coap_server_start(&o, err, sizeof(err));
    if (!srv)
        fail_msg("start: %s", err);
    return srv;
}

static cse_coap_server_t *start(int max_sessions) {
    return start_idle(max_sessions, 0);
}

static int group_setup(void **state) {
    make_certs();
    return 0;
}

static int group_teardown(void **state) {
    sh("rm -rf %s", tmpdir);
    return 0;
}

static cse_coap_client_t *client(cse_coap_server_t *srv, int dtls, const char *id, const char *key,
                                 const char *leaf, char *err) {
    static char cert[128], ckey[128], ca[128];
    cse_coap_client_cfg_t cfg;
    cse_coap_client_cfg_default(&cfg);
    cfg.port = cse_coap_server_port(srv, dtls);
    cfg.dtls = dtls;
    cfg.timeout_ms = 200;
    cfg.retransmits = 2;
    if (id) {
        cfg.psk_identity = id;
        cfg.psk = (const uint8_t *)key;
        cfg.psk_len = strlen(key);
    }
    if (leaf) {
        snprintf(cert, sizeof(cert), "%s/%s.pem", tmpdir, leaf);
        snprintf(ckey, sizeof(ckey), "%s/%s.key", tmpdir, leaf);
        snprintf(ca, sizeof(ca), "%s/ca.pem", tmpdir);
        cfg.cert_file = cert;
        cfg.key_file = ckey;
        cfg.ca_file = ca;
    }
    return cse_coap_client_open(&cfg, err, 256);
}

static int get(cse_coap_client_t *c, const char *path, const uint8_t *body, size_t len,
               cse_coap_client_result_t *res) {
    cse_coap_msg_t m;
    char err[256];
    cse_coap_msg_init(&m);
    m.code = body ? CSE_COAP_PUT : CSE_COAP_GET;
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, path);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_M2M_RQI, "r1");
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_M2M_FR, "Cdev");
    int rc = cse_coap_client_request(c, &m, body, len, res, err, sizeof(err));
    if (rc)
        print_message("request: %s\n", err);
    return rc;
}

static void test_plain(void **state) {
    cse_coap_server_t *srv = start(8);
    char err[256];
    cse_coap_client_result_t res;
    cse_coap_client_t *c = client(srv, 0, NULL, NULL, NULL, err);
    assert_non_null(c);
    assert_int_equal(get(c, "cse-in", NULL, 0, &res), 0);
    assert_int_equal(res.code, CSE_COAP_CODE(2, 5));
    assert_int_equal(res.rsc, 2000);
    assert_string_equal(res.rqi, "r1");
    assert_int_equal(seen.sec.binding, CSE_BINDING_COAP);
    assert_int_equal(seen.sec.assoc_method, CSE_ASSOC_NONE);
    assert_int_equal(seen.sec.session_id, 0);
    assert_string_equal(seen.from, "Cdev");
    cse_coap_client_result_free(&res);
    cse_coap_client_close(c);
    cse_coap_server_stop(srv);
}

static void test_dtls_psk(void **state) {
    cse_coap_server_t *srv = start(8);
    char err[256];
    cse_coap_client_result_t res;
    cse_coap_client_t *c = client(srv, 1, "dev1", (const char *)psk_key, NULL, err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(get(c, "cse-in", NULL, 0, &res), 0);
    assert_int_equal(res.rsc, 2000);
    assert_int_equal(seen.sec.binding, CSE_BINDING_COAPS);
    assert_int_equal(seen.sec.assoc_method, CSE_ASSOC_DTLS_PSK);
    assert_string_equal(seen_identity, "dev1");
    assert_true(seen.sec.session_id > 0);
    uint64_t sid = seen.sec.session_id;
    cse_coap_client_result_free(&res);

    /* Block2 and Block1 through the session */
    assert_int_equal(get(c, "big", NULL, 0, &res), 0);
    assert_int_equal(res.payload_len, 5000);
    assert_true(res.blocks >= 5);
    assert_int_equal(res.payload[4999], 'A' + 4999 % 23);
    cse_coap_client_result_free(&res);
    static uint8_t body[5000];
    memset(body, '7', sizeof(body));
    assert_int_equal(get(c, "cse-in", body, sizeof(body), &res), 0);
    assert_int_equal(seen_body_len, sizeof(body));
    assert_int_equal(seen.sec.session_id, sid);
    cse_coap_client_result_free(&res);
    cse_coap_client_close(c);

    /* a second client is another session */
    c = client(srv, 1, "dev1", (const char *)psk_key, NULL, err);
    assert_non_null(c);
    assert_int_equal(get(c, "cse-in", NULL, 0, &res), 0);
    assert_true(seen.sec.session_id != sid);
    cse_coap_client_result_free(&res);
    cse_coap_client_close(c);
    cse_coap_server_stop(srv);
}

static void test_dtls_psk_refused(void **state) {
    cse_coap_server_t *srv = start(8);
    char err[256];
    psk_lookups = 0;
    assert_null(client(srv, 1, "dev1", "wrong-key-123456", NULL, err));
    assert_non_null(strstr(err, "handshake"));
    assert_null(client(srv, 1, "nobody", (const char *)psk_key, NULL, err));
    assert_int_equal(psk_lookups, 2);
    cse_coap_server_stop(srv);
}

static void test_dtls_cert(void **state) {
    cse_coap_server_t *srv = start(8);
    char err[256];
    cse_coap_client_result_t res;
    cert_checks = 0;
    cse_coap_client_t *c = client(srv, 1, NULL, NULL, "dev", err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(get(c, "cse-in", NULL, 0, &res), 0);
    assert_int_equal(seen.sec.assoc_method, CSE_ASSOC_DTLS_CERT);
    assert_string_equal(seen_identity, "bound:urn:m2m:dev-cert");
    cse_coap_client_result_free(&res);
    cse_coap_client_close(c);
    /* chained to the CA but refused by CERT_CHECK; another CA; no certificate */
    assert_null(client(srv, 1, NULL, NULL, "banned", err));
    assert_null(client(srv, 1, NULL, NULL, "stranger", err));
    assert_int_equal(cert_checks, 2); /* the stranger never reached CERT_CHECK */
    cse_coap_client_cfg_t cfg;
    cse_coap_client_cfg_default(&cfg);
    cfg.port = cse_coap_server_port(srv, 1);
    cfg.dtls = 1;
    cfg.timeout_ms = 200;
    assert_null(cse_coap_client_open(&cfg, err, sizeof(err)));
    cse_coap_server_stop(srv);
}

static void test_session_bound(void **state) {
    cse_coap_server_t *srv = start(2);
    char err[256];
    cse_coap_client_t *a = client(srv, 1, "dev1", (const char *)psk_key, NULL, err);
    cse_coap_client_t *b = client(srv, 1, "dev1", (const char *)psk_key, NULL, err);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(client(srv, 1, "dev1", (const char *)psk_key, NULL, err));
    cse_coap_client_close(a); /* close_notify frees a slot */
    usleep(100 * 1000);
    cse_coap_client_t *c = client(srv, 1, "dev1", (const char *)psk_key, NULL, err);
    assert_non_null(c);
    cse_coap_client_close(b);
    cse_coap_client_close(c);
    cse_coap_server_stop(srv);
}

static void test_idle_session_closed(void **state) {
    cse_coap_server_t *srv = start_idle(8, 300);
    char err[256];
    cse_coap_client_result_t res;
    cse_coap_client_t *c = client(srv, 1, "dev1", (const char *)psk_key, NULL, err);
    assert_non_null(c);
    assert_int_equal(get(c, "cse-in", NULL, 0, &res), 0);
    cse_coap_client_result_free(&res);
    usleep(400 * 1000); /* idle: the server sends close_notify and forgets the session */
    assert_int_equal(get(c, "cse-in", NULL, 0, &res), -1);
    cse_coap_client_close(c);
    c = client(srv, 1, "dev1", (const char *)psk_key, NULL, err); /* a new handshake works */
    assert_non_null(c);
    assert_int_equal(get(c, "cse-in", NULL, 0, &res), 0);
    cse_coap_client_result_free(&res);
    cse_coap_client_close(c);
    cse_coap_server_stop(srv);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_dtls_psk),
        cmocka_unit_test(test_dtls_psk_refused),
        cmocka_unit_test(test_dtls_cert),
        cmocka_unit_test(test_session_bound),
        cmocka_unit_test(test_idle_session_closed),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
