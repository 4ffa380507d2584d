/*
 * Parking of idle DTLS sessions (coap_dtls.c): a real UDP socket served by
 * a loop thread in the test, the project's DTLS-PSK client. A parked
 * session answers its peer's next request without a new handshake, is
 * closed by revocation of its identity, is evicted beyond max_parked, and
 * the active bound parks the least recently used session.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "cse/coap/coap_client.h"
#include "cse/coap/coap_dtls.h"
#include "cse/coap/coap_endpoint.h"
#include "cse/coap/coap_onem2m.h"
#include "cse/core/rsc.h"

typedef struct srv {
    int fd, port;
    cse_coap_dtls_t *d;
    cse_coap_endpoint_t *ep;
    pthread_t thread;
    pthread_mutex_t lock;
    volatile int stop;
} srv_t;

static int starts, stops;

static int run_event(int event, void *data) {
    if (event == CSE_EVT_ACCOUNTING) {
        cse_evt_accounting_t *ev = data;
        if (ev->kind == CSE_ACCT_SESSION_START)
            starts++;
        else if (ev->kind == CSE_ACCT_SESSION_STOP)
            stops++;
        return CSE_PLUGIN_DEFER;
    }
    if (event != CSE_EVT_PSK_LOOKUP)
        return CSE_PLUGIN_DEFER;
    cse_evt_psk_lookup_t *ev = data;
    memcpy(ev->key, "0123456789abcdef", 16);
    ev->key_len = 16;
    return CSE_PLUGIN_OK;
}

static void handler(cse_request_t *req, cse_response_t *resp) {
    (void)req;
    resp->rsc = CSE_RSC_OK;
    resp->body = malloc(2);
    memcpy(resp->body, "ok", 2);
    resp->body_len = 2;
}

static size_t on_app(void *user, const cse_security_context_t *sec, const uint8_t *in, size_t len,
                     uint8_t *out, size_t cap) {
    srv_t *s = user;
    return cse_coap_endpoint_input(s->ep, sec, in, len, cse_coap_now_ms(), out, cap);
}

static void *loop(void *arg) {
    srv_t *s = arg;
    uint8_t buf[2048];
    while (!s->stop) {
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        poll(&pfd, 1, 10);
        pthread_mutex_lock(&s->lock);
        for (;;) {
            struct sockaddr_storage peer;
            socklen_t plen = sizeof(peer);
            ssize_t n =
                recvfrom(s->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&peer, &plen);
            if (n < 0)
                break;
            cse_coap_dtls_input(s->d, (struct sockaddr *)&peer, plen, buf, (size_t)n,
                                cse_coap_now_ms());
        }
        cse_coap_dtls_tick(s->d, cse_coap_now_ms());
        pthread_mutex_unlock(&s->lock);
    }
    return NULL;
}

static srv_t *srv_start(int max_sessions, int max_parked) {
    srv_t *s = calloc(1, sizeof(*s));
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);
    char err[256];
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    getsockname(s->fd, (struct sockaddr *)&a, &alen);
    s->port = ntohs(a.sin_port);
    cse_coap_endpoint_cfg_t ecfg;
    cse_coap_endpoint_cfg_default(&ecfg);
    ecfg.handler = handler;
    s->ep = cse_coap_endpoint_new(&ecfg);
    cse_coap_dtls_cfg_t cfg;
    cse_coap_dtls_cfg_default(&cfg);
    cfg.park_after_ms = 100;
    cfg.max_sessions = max_sessions;
    cfg.max_parked = max_parked;
    cfg.run_event = run_event;
    cfg.on_app = on_app;
    cfg.app_user = s;
    s->d = cse_coap_dtls_new(&cfg, s->fd, err, sizeof(err));
    if (!s->d)
        fail_msg("dtls: %s", err);
    pthread_mutex_init(&s->lock, NULL);
    starts = stops = 0;
    pthread_create(&s->thread, NULL, loop, s);
    return s;
}

static void srv_stop(srv_t *s) {
    s->stop = 1;
    pthread_join(s->thread, NULL);
    cse_coap_dtls_free(s->d);
    cse_coap_endpoint_free(s->ep);
    pthread_mutex_destroy(&s->lock);
    close(s->fd);
    free(s);
}

static cse_coap_client_t *client(srv_t *s, const char *id) {
    cse_coap_client_cfg_t cfg;
    char err[256];
    cse_coap_client_cfg_default(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = s->port;
    cfg.dtls = 1;
    cfg.timeout_ms = 200;
    cfg.retransmits = 1;
    cfg.psk_identity = id;
    cfg.psk = (const uint8_t *)"0123456789abcdef";
    cfg.psk_len = 16;
    cse_coap_client_t *c = cse_coap_client_open(&cfg, err, sizeof(err));
    if (!c)
        fail_msg("client: %s", err);
    return c;
}

/* 0 when a GET got 2.05 with the handler's body. */
static int get(cse_coap_client_t *c) {
    cse_coap_msg_t m;
    cse_coap_client_result_t res;
    char err[256];
    cse_coap_msg_init(&m);
    m.code = CSE_COAP_GET;
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "x");
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_M2M_RQI, "r1");
    if (cse_coap_client_request(c, &m, NULL, 0, &res, err, sizeof(err)) < 0)
        return -1;
    int ok = res.code == CSE_COAP_CODE(2, 5) && res.payload_len == 2 &&
             memcmp(res.payload, "ok", 2) == 0;
    cse_coap_client_result_free(&res);
    return ok ? 0 : -1;
}

/* Waits until parked sessions reach want (the loop parks after 100 ms). */
static int wait_parked(srv_t *s, int want) {
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&s->lock);
        int n = cse_coap_dtls_parked_count(s->d);
        pthread_mutex_unlock(&s->lock);
        if (n == want)
            return n;
        usleep(10000);
    }
    return -1;
}

/* Waits until want parked sessions were evicted (parking runs on the
 * server's loop: on a loaded machine it may take a while). */
static int wait_evicted(srv_t *s, uint64_t want) {
    cse_coap_dtls_stats_t st = {0};
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&s->lock);
        cse_coap_dtls_stats(s->d, &st);
        pthread_mutex_unlock(&s->lock);
        if (st.evicted >= want)
            return 0;
        usleep(10000);
    }
    return -1;
}

static void test_parked_session_answers_without_handshake(void **state) {
    (void)state;
    srv_t *s = srv_start(16, 100);
    cse_coap_client_t *c = client(s, "dev1");
    assert_int_equal(get(c), 0);
    assert_int_equal(wait_parked(s, 1), 1);
    pthread_mutex_lock(&s->lock);
    assert_int_equal(cse_coap_dtls_session_count(s->d), 0);
    pthread_mutex_unlock(&s->lock);
    for (int round = 0; round < 2; round++) { /* restored, parked again, restored */
        assert_int_equal(get(c), 0);
        assert_int_equal(get(c), 0);
        assert_int_equal(wait_parked(s, 1), 1);
    }
    cse_coap_dtls_stats_t st;
    pthread_mutex_lock(&s->lock);
    cse_coap_dtls_stats(s->d, &st);
    pthread_mutex_unlock(&s->lock);
    assert_int_equal(st.handshakes, 1);
    assert_int_equal(starts, 1);
    assert_int_equal(stops, 0);
    assert_int_equal(st.parked, 3);
    assert_int_equal(st.restored, 2);
    cse_coap_client_close(c);
    srv_stop(s);
}

static void test_revocation_closes_parked_session(void **state) {
    (void)state;
    srv_t *s = srv_start(16, 100);
    cse_coap_client_t *keep = client(s, "dev1");
    cse_coap_client_t *gone = client(s, "dev2");
    assert_int_equal(get(keep), 0);
    assert_int_equal(get(gone), 0);
    assert_int_equal(wait_parked(s, 2), 2);
    pthread_mutex_lock(&s->lock);
    assert_int_equal(cse_coap_dtls_close_identity(s->d, "dev2"), 1);
    assert_int_equal(cse_coap_dtls_parked_count(s->d), 1);
    pthread_mutex_unlock(&s->lock);
    assert_int_equal(stops, 1);
    assert_int_not_equal(get(gone), 0); /* no session any more: no answer */
    assert_int_equal(get(keep), 0);
    cse_coap_client_close(gone);
    cse_coap_client_close(keep);
    srv_stop(s);
}

static void test_oldest_parked_evicted(void **state) {
    (void)state;
    srv_t *s = srv_start(16, 1);
    cse_coap_client_t *old = client(s, "dev1");
    assert_int_equal(get(old), 0);
    assert_int_equal(wait_parked(s, 1), 1);
    cse_coap_client_t *young = client(s, "dev2");
    assert_int_equal(get(young), 0);
    assert_int_equal(wait_evicted(s, 1), 0);
    cse_coap_dtls_stats_t st;
    pthread_mutex_lock(&s->lock);
    cse_coap_dtls_stats(s->d, &st);
    assert_int_equal(cse_coap_dtls_parked_count(s->d), 1);
    pthread_mutex_unlock(&s->lock);
    assert_int_equal(st.evicted, 1);
    assert_int_not_equal(get(old), 0);
    assert_int_equal(get(young), 0);
    cse_coap_client_close(old);
    cse_coap_client_close(young);
    srv_stop(s);
}

static void test_full_table_parks_least_recent(void **state) {
    (void)state;
    srv_t *s = srv_start(1, 100);
    cse_coap_client_t *a = client(s, "dev1");
    assert_int_equal(get(a), 0);
    cse_coap_client_t *b = client(s, "dev2"); /* parks a to get the only slot */
    assert_int_equal(get(b), 0);
    assert_int_equal(get(a), 0); /* restores a, parks b */
    assert_int_equal(get(b), 0);
    cse_coap_dtls_stats_t st;
    pthread_mutex_lock(&s->lock);
    cse_coap_dtls_stats(s->d, &st);
    pthread_mutex_unlock(&s->lock);
    assert_int_equal(st.handshakes, 2);
    assert_true(st.restored >= 2);
    cse_coap_client_close(a);
    cse_coap_client_close(b);
    srv_stop(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parked_session_answers_without_handshake),
        cmocka_unit_test(test_revocation_closes_parked_session),
        cmocka_unit_test(test_oldest_parked_evicted),
        cmocka_unit_test(test_full_table_parks_least_recent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
