/* Durable accounting queue against a real UDP responder in this process:
 * order, outage with backoff, restart from the file, Acct-Delay-Time,
 * the size bound and refused records. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/aaa/acct_queue.h"
#include "plugin/aaa/radius_client.h"
#include "radius_test_reply.h"

#define SECRET "queue-secret"

/* An accounting server: answers every Accounting-Request correctly
 * (signed with mbedTLS directly, not with the client's code) and records
 * the Acct-Session-Id and Acct-Delay-Time of each. */
typedef struct responder {
    int fd, port, stop;
    pthread_t th;
    pthread_mutex_t lock;
    char sessions[256][32];
    unsigned delays[256];
    uint8_t seen[256][17]; /* identifier and authenticator of each request counted */
    int n;
} responder_t;

static void answer(responder_t *r, const uint8_t *req, size_t len, struct sockaddr_in *peer) {
    uint8_t out[RADIUS_TEST_REPLY_LEN];
    radius_test_acct_reply(req, SECRET, out);
    pthread_mutex_lock(&r->lock);
    /* A retransmission (same identifier and authenticator: the client's
     * timer fired on a loaded machine) is answered, not counted again, as a
     * RADIUS server's duplicate detection does. */
    int duplicate = 0;
    for (int k = 0; k < r->n && !duplicate; k++)
        duplicate = r->seen[k][0] == req[1] && memcmp(r->seen[k] + 1, req + 4, 16) == 0;
    if (r->n < 256 && !duplicate) {
        r->seen[r->n][0] = req[1];
        memcpy(r->seen[r->n] + 1, req + 4, 16);
        for (size_t i = 20; i + 2 <= len && req[i + 1] >= 2; i += req[i + 1]) {
            if (req[i] == 44 && req[i + 1] - 2 < 32)
                memcpy(r->sessions[r->n], req + i + 2, req[i + 1] - 2u);
            if (req[i] == 41 && req[i + 1] == 6)
                r->delays[r->n] = (unsigned)req[i + 2] << 24 | (unsigned)req[i + 3] << 16 |
                                  (unsigned)req[i + 4] << 8 | req[i + 5];
        }
        r->n++;
    }
    pthread_mutex_unlock(&r->lock);
    sendto(r->fd, out, 38, 0, (struct sockaddr *)peer, sizeof *peer);
}

static void *responder_main(void *arg) {
    responder_t *r = arg;
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            continue;
        uint8_t buf[4096];
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        ssize_t n = recvfrom(r->fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen);
        if (n >= 20 && buf[0] == 4)
            answer(r, buf, (size_t)n, &peer);
    }
    return NULL;
}

/* Binds port (0 = any) and starts answering. */
static void responder_start(responder_t *r, int port) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    r->fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(r->fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(r->fd, (struct sockaddr *)&a, &len);
    r->port = ntohs(a.sin_port);
    pthread_create(&r->th, NULL, responder_main, r);
}

static void responder_stop(responder_t *r) {
    __atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
    pthread_join(r->th, NULL);
    close(r->fd);
    pthread_mutex_destroy(&r->lock);
}

static cssf_radius_client_t *client_for(int port) {
    char spec[64];
    snprintf(spec, sizeof spec, "127.0.0.1:%d:%s", port, SECRET);
    cssf_radius_config_t cfg;
    cssf_radius_config_init(&cfg);
    cfg.acct_servers[0] = spec;
    cfg.n_acct = 1;
    cfg.nas_identifier = "queue-test";
    cfg.timeout_ms = 100;
    cfg.retries = 0;
    cfg.dead_after = 1;
    cfg.probe_interval_ms = 100;
    cssf_radius_client_t *c = NULL;
    char err[128];
    assert_int_equal(cssf_radius_create(&cfg, &c, err, sizeof err), 0);
    return c;
}

static cssf_acct_queue_t *queue_on(const char *path, cssf_radius_client_t *c, size_t max) {
    cssf_acct_queue_config_t qc = {
        .path = path, .max_records = max, .retry_min_ms = 50, .retry_max_ms = 200};
    cssf_acct_queue_t *q = NULL;
    char err[256];
    assert_int_equal(cssf_acct_queue_open(&qc, c, &q, err, sizeof err), 0);
    return q;
}

static void temp_path(char *buf, size_t cap) {
    snprintf(buf, cap, "/tmp/cssf-acctq-XXXXXX");
    int fd = mkstemp(buf);
    assert_true(fd >= 0);
    close(fd);
    unlink(buf); /* the queue creates it */
}

static void remove_db(const char *path) {
    char p[300];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static cssf_radius_acct_t record(int type, const char *sid) {
    cssf_radius_acct_t r = {.status_type = type, .session_id = sid, .user_name = "dev-1"};
    if (type != CSSF_RADIUS_ACCT_START) {
        r.session_time = 5;
        r.input_octets = 100;
    }
    return r;
}

static void sends_in_order(void **state) {
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    responder_t r;
    responder_start(&r, 0);
    cssf_radius_client_t *c = client_for(r.port);
    cssf_acct_queue_t *q = queue_on(path, c, 0);
    char sid[50][16];
    for (int i = 0; i < 50; i++) {
        snprintf(sid[i], sizeof sid[i], "s%02d", i);
        cssf_radius_acct_t rec = record(i % 3 + 1, sid[i]);
        assert_int_equal(cssf_acct_queue_push(q, &rec), 0);
    }
    assert_int_equal(cssf_acct_queue_flush(q, 5000), 0);
    cssf_acct_queue_stats_t st;
    cssf_acct_queue_get_stats(q, &st);
    assert_int_equal(st.sent, 50);
    assert_int_equal(st.pending, 0);
    assert_int_equal(r.n, 50);
    for (int i = 0; i < 50; i++)
        assert_string_equal(r.sessions[i], sid[i]);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    cssf_acct_queue_close(q);
    cssf_radius_destroy(c);
    responder_stop(&r);
    remove_db(path);
}

static void outage_restart_and_delay(void **state) {
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    /* Reserve a port, then close it: the server is down. */
    responder_t r;
    responder_start(&r, 0);
    int port = r.port;
    responder_stop(&r);

    cssf_radius_client_t *c = client_for(port);
    cssf_acct_queue_t *q = queue_on(path, c, 0);
    char sid[20][16];
    for (int i = 0; i < 20; i++) {
        snprintf(sid[i], sizeof sid[i], "o%02d", i);
        cssf_radius_acct_t rec = record(CSSF_RADIUS_ACCT_START, sid[i]);
        assert_int_equal(cssf_acct_queue_push(q, &rec), 0);
    }
    assert_int_equal(cssf_acct_queue_flush(q, 300), -1);
    cssf_acct_queue_stats_t st;
    cssf_acct_queue_get_stats(q, &st);
    assert_int_equal(st.pending, 20);
    assert_int_equal(st.sent, 0);
    assert_true(st.failures >= 1);
    /* Restart: the records come back from the file. */
    cssf_acct_queue_close(q);
    sleep(1);
    q = queue_on(path, c, 0);
    cssf_acct_queue_get_stats(q, &st);
    assert_int_equal(st.pending, 20);

    responder_start(&r, port);
    assert_int_equal(cssf_acct_queue_flush(q, 5000), 0);
    cssf_acct_queue_get_stats(q, &st);
    assert_int_equal(st.sent, 20);
    assert_int_equal(r.n, 20);
    for (int i = 0; i < 20; i++) {
        assert_string_equal(r.sessions[i], sid[i]);
        assert_true(r.delays[i] >= 1); /* it waited over a second */
    }
    cssf_acct_queue_close(q);
    cssf_radius_destroy(c);
    responder_stop(&r);
    remove_db(path);
}

static void bounded_and_refusing(void **state) {
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    responder_t r;
    responder_start(&r, 0);
    int port = r.port;
    responder_stop(&r);
    cssf_radius_client_t *c = client_for(port);
    cssf_acct_queue_t *q = queue_on(path, c, 5);
    cssf_radius_acct_t rec = record(CSSF_RADIUS_ACCT_START, "b");
    for (int i = 0; i < 5; i++)
        assert_int_equal(cssf_acct_queue_push(q, &rec), 0);
    assert_int_equal(cssf_acct_queue_push(q, &rec), -1);
    cssf_radius_acct_t bad = record(9, "x");
    assert_int_equal(cssf_acct_queue_push(q, &bad), -1);
    bad = record(CSSF_RADIUS_ACCT_STOP, "");
    assert_int_equal(cssf_acct_queue_push(q, &bad), -1);
    assert_int_equal(cssf_acct_queue_push(q, NULL), -1);
    cssf_acct_queue_stats_t st;
    cssf_acct_queue_get_stats(q, &st);
    assert_int_equal(st.refused, 4);
    assert_int_equal(st.pending, 5);
    cssf_acct_queue_close(q);
    cssf_radius_destroy(c);
    remove_db(path);
}

static void open_errors(void **state) {
    (void)state;
    cssf_radius_client_t *c = client_for(9);
    cssf_acct_queue_config_t qc = {.path = "/nonexistent-dir/q.db"};
    cssf_acct_queue_t *q = NULL;
    char err[256];
    assert_int_equal(cssf_acct_queue_open(&qc, c, &q, err, sizeof err), -1);
    assert_null(q);
    assert_non_null(strstr(err, "/nonexistent-dir/q.db"));
    qc.path = NULL;
    assert_int_equal(cssf_acct_queue_open(&qc, c, &q, err, sizeof err), -1);
    cssf_radius_destroy(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sends_in_order),
        cmocka_unit_test(outage_restart_and_delay),
        cmocka_unit_test(bounded_and_refusing),
        cmocka_unit_test(open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
