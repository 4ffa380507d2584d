/* Pipelined accounting (cssf_radius_account_many) and the queue's window,
 * against UDP responders in this process that answer out of order, forge
 * answers in the middle of a window, drop some requests, or hold their
 * answers back. Answers are signed with mbedTLS directly, not with the
 * client's code. */
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
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "plugin/aaa/acct_queue.h"
#include "plugin/aaa/radius_client.h"
#include "radius_test_reply.h"

#define SECRET "window-secret"
#define MAX_SEEN 1024
#define MAX_HELD 300

typedef struct held {
    uint8_t req[4096];
    size_t len;
    struct sockaddr_in peer;
} held_t;

/*
 * An accounting server. Modes: answer in arrival order; collect `batch`
 * requests then answer them in reverse; send a forged answer (right
 * identifier, wrong Response Authenticator) before each real one; drop
 * requests whose session starts with drop_prefix the first drop_times times;
 * forge_only_prefix: such sessions get only a forged answer; hold all
 * answers until released.
 */
typedef struct responder {
    int fd, port, stop;
    pthread_t th;
    pthread_mutex_t lock;
    int batch, forge, hold;
    const char *drop_prefix, *forge_only_prefix;
    int drop_times;
    /* every request received, in order */
    char sid[MAX_SEEN][32];
    uint8_t ident[MAX_SEEN];
    int kind[MAX_SEEN]; /* Acct-Status-Type */
    int n;
    held_t *held;
    int n_held;
} responder_t;

/* Acct-Session-Id into out; returns Acct-Status-Type. */
static int req_session(const uint8_t *req, size_t len, char *out, size_t cap) {
    int kind = 0;
    out[0] = '\0';
    for (size_t i = 20; i + 2 <= len && req[i + 1] >= 2; i += req[i + 1]) {
        if (req[i] == 44 && req[i + 1] - 2u < cap) {
            memcpy(out, req + i + 2, req[i + 1] - 2u);
            out[req[i + 1] - 2] = '\0';
        }
        if (req[i] == 40 && req[i + 1] == 6)
            kind = req[i + 5];
    }
    return kind;
}

static void answer(responder_t *r, const uint8_t *req, const struct sockaddr_in *peer, int forged) {
    uint8_t out[RADIUS_TEST_REPLY_LEN];
    radius_test_acct_reply(req, SECRET, out);
    if (forged)
        out[4] ^= 0x5a;
    sendto(r->fd, out, 38, 0, (const struct sockaddr *)peer, sizeof *peer);
}

static int starts_with(const char *s, const char *prefix) {
    return prefix && !strncmp(s, prefix, strlen(prefix));
}

/* Times a session has been seen so far (lock held). */
static int seen_count(responder_t *r, const char *sid) {
    int c = 0;
    for (int i = 0; i < r->n; i++)
        c += !strcmp(r->sid[i], sid);
    return c;
}

static void release_held(responder_t *r, int reverse) {
    for (int i = 0; i < r->n_held; i++) {
        held_t *h = &r->held[reverse ? r->n_held - 1 - i : i];
        if (r->forge)
            answer(r, h->req, &h->peer, 1);
        answer(r, h->req, &h->peer, 0);
    }
    r->n_held = 0;
}

static void *responder_main(void *arg) {
    responder_t *r = arg;
    uint8_t buf[4096];
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&r->lock);
        if (!r->hold && !r->batch && r->n_held)
            release_held(r, 0);
        pthread_mutex_unlock(&r->lock);
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        if (poll(&p, 1, 10) <= 0)
            continue;
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        ssize_t n = recvfrom(r->fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen);
        if (n < 20 || buf[0] != 4)
            continue;
        char sid[32];
        int kind = req_session(buf, (size_t)n, sid, sizeof sid);
        pthread_mutex_lock(&r->lock);
        int before = seen_count(r, sid);
        if (r->n < MAX_SEEN) {
            snprintf(r->sid[r->n], sizeof r->sid[r->n], "%s", sid);
            r->ident[r->n] = buf[1];
            r->kind[r->n] = kind;
            r->n++;
        }
        if (starts_with(sid, r->drop_prefix) && before < r->drop_times) {
            /* lost */
        } else if (starts_with(sid, r->forge_only_prefix)) {
            answer(r, buf, &peer, 1);
        } else if ((r->batch || r->hold) && r->n_held < MAX_HELD) {
            held_t *h = &r->held[r->n_held++];
            memcpy(h->req, buf, (size_t)n);
            h->len = (size_t)n;
            h->peer = peer;
            if (r->batch && r->n_held == r->batch)
                release_held(r, 1);
        } else {
            if (r->forge)
                answer(r, buf, &peer, 1);
            answer(r, buf, &peer, 0);
        }
        pthread_mutex_unlock(&r->lock);
    }
    return NULL;
}

static void responder_start(responder_t *r) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    r->held = calloc(MAX_HELD, sizeof *r->held);
    assert_non_null(r->held);
    r->fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(r->fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(r->fd, (struct sockaddr *)&a, &len);
    r->port = ntohs(a.sin_port);
}

static void responder_run(responder_t *r) {
    pthread_create(&r->th, NULL, responder_main, r);
}

static void responder_stop(responder_t *r) {
    __atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
    pthread_join(r->th, NULL);
    close(r->fd);
    pthread_mutex_destroy(&r->lock);
    free(r->held);
}

static int responder_received(responder_t *r) {
    pthread_mutex_lock(&r->lock);
    int n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* timeout_ms: short where a test waits for timeouts, long where it counts
 * requests exactly (a loaded machine must not fire a retransmission). */
static cssf_radius_client_t *client_for(const int *ports, size_t n, unsigned retries,
                                        unsigned timeout_ms) {
    char spec[CSSF_RADIUS_MAX_SERVERS][64];
    cssf_radius_config_t cfg;
    cssf_radius_config_init(&cfg);
    for (size_t i = 0; i < n; i++) {
        snprintf(spec[i], sizeof spec[i], "127.0.0.1:%d:%s", ports[i], SECRET);
        cfg.acct_servers[i] = spec[i];
    }
    cfg.n_acct = n;
    cfg.nas_identifier = "window-test";
    cfg.timeout_ms = timeout_ms;
    cfg.retries = retries;
    cfg.dead_after = 1000; /* these tests count requests, not dead servers */
    cfg.probe_interval_ms = 100;
    cssf_radius_client_t *c = NULL;
    char err[128];
    assert_int_equal(cssf_radius_create(&cfg, &c, err, sizeof err), 0);
    return c;
}

typedef struct batch {
    char sid[CSSF_RADIUS_ACCT_WINDOW_MAX][32];
    cssf_radius_acct_t rec[CSSF_RADIUS_ACCT_WINDOW_MAX];
    const cssf_radius_acct_t *ptr[CSSF_RADIUS_ACCT_WINDOW_MAX];
    cssf_radius_result_t res[CSSF_RADIUS_ACCT_WINDOW_MAX];
} batch_t;

/* n records; those with i % every == 0 (every > 0) get prefix special. */
static batch_t *batch_make(size_t n, int every, const char *special) {
    batch_t *b = calloc(1, sizeof *b);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        snprintf(b->sid[i], sizeof b->sid[i], "%s%03zu",
                 every > 0 && i % (size_t)every == 0 ? special : "w", i);
        b->rec[i] = (cssf_radius_acct_t){
            .status_type = CSSF_RADIUS_ACCT_START, .session_id = b->sid[i], .user_name = "dev-1"};
        b->ptr[i] = &b->rec[i];
    }
    return b;
}

static void out_of_order_answers(void **state) {
    (void)state;
    responder_t r;
    responder_start(&r);
    r.batch = 40; /* answers come only when all 40 are in flight, last first */
    responder_run(&r);
    cssf_radius_client_t *c = client_for(&r.port, 1, 0, 1000);
    batch_t *b = batch_make(40, 0, NULL);
    char reason[CSSF_RADIUS_REASON_MAX];
    assert_int_equal(cssf_radius_account_many(c, b->ptr, 40, b->res, reason, sizeof reason), 40);
    assert_string_equal(reason, "");
    for (int i = 0; i < 40; i++)
        assert_int_equal(b->res[i], CSSF_RADIUS_ACCEPT);
    /* All 40 were sent before any answer, with 40 distinct identifiers. */
    assert_int_equal(r.n, 40);
    int used[256] = {0};
    for (int i = 0; i < 40; i++)
        assert_int_equal(used[r.ident[i]]++, 0);
    cssf_radius_destroy(c);
    responder_stop(&r);
    free(b);
}

static void forged_answers_in_the_window_ignored(void **state) {
    (void)state;
    responder_t r;
    responder_start(&r);
    r.forge = 1;                  /* a forgery ahead of every real answer */
    r.forge_only_prefix = "fake"; /* and some requests get only a forgery */
    responder_run(&r);
    cssf_radius_client_t *c = client_for(&r.port, 1, 0, 1000);
    batch_t *b = batch_make(30, 10, "fake");
    char reason[CSSF_RADIUS_REASON_MAX];
    assert_int_equal(cssf_radius_account_many(c, b->ptr, 30, b->res, reason, sizeof reason), 27);
    for (int i = 0; i < 30; i++)
        assert_int_equal(b->res[i], i % 10 == 0 ? CSSF_RADIUS_INVALID : CSSF_RADIUS_ACCEPT);
    assert_non_null(strstr(reason, "Response Authenticator"));
    assert_null(strstr(reason, SECRET));
    cssf_radius_destroy(c);
    responder_stop(&r);
    free(b);
}

static void some_time_out_with_their_own_retransmissions(void **state) {
    (void)state;
    responder_t r;
    responder_start(&r);
    r.drop_prefix = "lost";
    r.drop_times = 1000;
    responder_run(&r);
    cssf_radius_client_t *c = client_for(&r.port, 1, 1, 100);
    batch_t *b = batch_make(25, 5, "lost");
    char reason[CSSF_RADIUS_REASON_MAX];
    assert_int_equal(cssf_radius_account_many(c, b->ptr, 25, b->res, reason, sizeof reason), 20);
    for (int i = 0; i < 25; i++)
        assert_int_equal(b->res[i], i % 5 == 0 ? CSSF_RADIUS_TIMEOUT : CSSF_RADIUS_ACCEPT);
    assert_non_null(strstr(reason, "no answer"));
    /* Answered ones went once; lost ones twice (one retransmission), with
     * the same identifier both times. */
    assert_int_equal(r.n, 30);
    for (int i = 0; i < 25; i++) {
        int count = 0, first_id = -1;
        for (int j = 0; j < r.n; j++) {
            if (strcmp(r.sid[j], b->sid[i]) != 0)
                continue;
            if (first_id < 0)
                first_id = r.ident[j];
            assert_int_equal(r.ident[j], first_id);
            count++;
        }
        assert_int_equal(count, i % 5 == 0 ? 2 : 1);
    }
    cssf_radius_destroy(c);
    responder_stop(&r);
    free(b);
}

static void failover_per_request(void **state) {
    (void)state;
    responder_t a, z;
    responder_start(&a);
    responder_start(&z);
    a.drop_prefix = "next"; /* the first server never answers these */
    a.drop_times = 1000;
    responder_run(&a);
    responder_run(&z);
    int ports[2] = {a.port, z.port};
    cssf_radius_client_t *c = client_for(ports, 2, 0, 100);
    batch_t *b = batch_make(20, 4, "next");
    assert_int_equal(cssf_radius_account_many(c, b->ptr, 20, b->res, NULL, 0), 20);
    assert_int_equal(a.n, 20);
    assert_int_equal(z.n, 5); /* only the unanswered ones moved on */
    for (int j = 0; j < z.n; j++)
        assert_true(starts_with(z.sid[j], "next"));
    cssf_radius_destroy(c);
    responder_stop(&a);
    responder_stop(&z);
    free(b);
}

/* Each request counts towards dead marking; a dead server is then skipped
 * but for one trial request per probe interval. */
static void dead_marking_per_request(void **state) {
    (void)state;
    responder_t r;
    responder_start(&r); /* bound, never answering: requests time out */
    char spec[64];
    snprintf(spec, sizeof spec, "127.0.0.1:%d:%s", r.port, SECRET);
    cssf_radius_config_t cfg;
    cssf_radius_config_init(&cfg);
    cfg.acct_servers[0] = spec;
    cfg.n_acct = 1;
    cfg.nas_identifier = "window-test";
    cfg.timeout_ms = 50;
    cfg.retries = 0;
    cfg.dead_after = 3;
    cfg.probe_interval_ms = 60000;
    cssf_radius_client_t *c = NULL;
    char err[128];
    assert_int_equal(cssf_radius_create(&cfg, &c, err, sizeof err), 0);
    batch_t *b = batch_make(5, 0, NULL);
    char reason[CSSF_RADIUS_REASON_MAX];
    assert_int_equal(cssf_radius_account_many(c, b->ptr, 5, b->res, reason, sizeof reason), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(b->res[i], CSSF_RADIUS_TIMEOUT);
    /* Five failures marked it dead: the next call asks nobody. */
    assert_int_equal(cssf_radius_account_many(c, b->ptr, 5, b->res, reason, sizeof reason), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(b->res[i], CSSF_RADIUS_TIMEOUT);
    assert_non_null(strstr(reason, "marked dead"));
    cssf_radius_destroy(c);
    close(r.fd);
    pthread_mutex_destroy(&r.lock);
    free(r.held);
    free(b);
}

static void bad_arguments(void **state) {
    (void)state;
    int port = 9;
    cssf_radius_client_t *c = client_for(&port, 1, 0, 100);
    batch_t *b = batch_make(2, 0, NULL);
    assert_int_equal(cssf_radius_account_many(c, b->ptr, 0, b->res, NULL, 0), -1);
    assert_int_equal(
        cssf_radius_account_many(c, b->ptr, CSSF_RADIUS_ACCT_WINDOW_MAX + 1, b->res, NULL, 0), -1);
    assert_int_equal(cssf_radius_account_many(NULL, b->ptr, 2, b->res, NULL, 0), -1);
    b->rec[1].status_type = 9; /* cannot be encoded: refused alone */
    char reason[CSSF_RADIUS_REASON_MAX];
    cssf_radius_account_many(c, b->ptr, 2, b->res, reason, sizeof reason);
    assert_int_equal(b->res[1], CSSF_RADIUS_ERROR);
    assert_int_not_equal(b->res[0], CSSF_RADIUS_ACCEPT);
    cssf_radius_destroy(c);
    free(b);
}

static void no_secret_fails_closed(void **state) {
    (void)state;
    responder_t r;
    responder_start(&r);
    responder_run(&r);
    char spec[64];
    snprintf(spec, sizeof spec, "127.0.0.1:%d", r.port); /* no secret yet */
    cssf_radius_config_t cfg;
    cssf_radius_config_init(&cfg);
    cfg.acct_servers[0] = spec;
    cfg.n_acct = 1;
    cfg.nas_identifier = "window-test";
    cssf_radius_client_t *c = NULL;
    char err[128];
    assert_int_equal(cssf_radius_create(&cfg, &c, err, sizeof err), 0);
    batch_t *b = batch_make(3, 0, NULL);
    char reason[CSSF_RADIUS_REASON_MAX];
    assert_int_equal(cssf_radius_account_many(c, b->ptr, 3, b->res, reason, sizeof reason), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(b->res[i], CSSF_RADIUS_ERROR);
    assert_non_null(strstr(reason, "no shared secret"));
    assert_int_equal(responder_received(&r), 0);
    /* A secret set later is used by the next call. */
    char name[32];
    snprintf(name, sizeof name, "127.0.0.1:%d", r.port);
    assert_int_equal(cssf_radius_set_secret(c, name, (const uint8_t *)SECRET, strlen(SECRET)), 1);
    assert_int_equal(cssf_radius_account_many(c, b->ptr, 3, b->res, reason, sizeof reason), 3);
    cssf_radius_destroy(c);
    responder_stop(&r);
    free(b);
}

/* ---- the queue ---- */

static void temp_path(char *buf, size_t cap) {
    snprintf(buf, cap, "/tmp/cssf-acctw-XXXXXX");
    int fd = mkstemp(buf);
    assert_true(fd >= 0);
    close(fd);
    unlink(buf);
}

static void remove_db(const char *path) {
    char p[300];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

/* Rows in the queue file, read through a connection of our own. */
static int rows_in_file(const char *path) {
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM cssf_acct_queue", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static cssf_acct_queue_t *queue_on(const char *path, cssf_radius_client_t *c, unsigned window) {
    cssf_acct_queue_config_t qc = {
        .path = path, .retry_min_ms = 50, .retry_max_ms = 100, .window = window};
    cssf_acct_queue_t *q = NULL;
    char err[256];
    assert_int_equal(cssf_acct_queue_open(&qc, c, &q, err, sizeof err), 0);
    return q;
}

/* A session's records as the server saw them: "SSP" = Start, Start, Stop. */
static void session_kinds(responder_t *r, const char *sid, char *out, size_t cap) {
    size_t k = 0;
    for (int j = 0; j < r->n && k + 1 < cap; j++)
        if (!strcmp(r->sid[j], sid))
            out[k++] = r->kind[j] == CSSF_RADIUS_ACCT_START  ? 'S'
                       : r->kind[j] == CSSF_RADIUS_ACCT_STOP ? 'P'
                                                             : '?';
    out[k] = '\0';
}

/*
 * The answers are held back while a whole window is in flight: nothing
 * may leave the file before its answer. Then every record reaches the
 * server exactly once, and the file empties.
 */
static void queue_deletes_only_after_answers_and_sends_once(void **state) {
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    responder_t r;
    responder_start(&r);
    r.hold = 1;
    responder_run(&r);
    cssf_radius_client_t *c = client_for(&r.port, 1, 4, 1000); /* 31 s in all */
    cssf_acct_queue_t *q = queue_on(path, c, 16);
    char sid[40][16];
    for (int i = 0; i < 40; i++) {
        snprintf(sid[i], sizeof sid[i], "q%02d", i);
        cssf_radius_acct_t rec = {.status_type = CSSF_RADIUS_ACCT_START, .session_id = sid[i]};
        assert_int_equal(cssf_acct_queue_push(q, &rec), 0);
    }
    for (int t = 0; t < 200 && responder_received(&r) < 16; t++)
        usleep(5000);
    assert_int_equal(responder_received(&r), 16); /* one window, no more */
    usleep(50000);
    assert_int_equal(rows_in_file(path), 40);
    cssf_acct_queue_stats_t st;
    cssf_acct_queue_get_stats(q, &st);
    assert_int_equal(st.pending, 40);
    assert_int_equal(st.sent, 0);
    pthread_mutex_lock(&r.lock);
    r.hold = 0;
    pthread_mutex_unlock(&r.lock);
    assert_int_equal(cssf_acct_queue_flush(q, 5000), 0);
    assert_int_equal(rows_in_file(path), 0);
    cssf_acct_queue_get_stats(q, &st);
    assert_int_equal(st.sent, 40);
    assert_int_equal(st.failures, 0);
    pthread_mutex_lock(&r.lock);
    for (int i = 0; i < 40; i++) {
        char kinds[16];
        session_kinds(&r, sid[i], kinds, sizeof kinds);
        /* the held window was retransmitted while held; the rest once */
        if (i >= 16)
            assert_string_equal(kinds, "S");
        else
            assert_true(strlen(kinds) >= 1 && strspn(kinds, "S") == strlen(kinds));
    }
    pthread_mutex_unlock(&r.lock);
    cssf_acct_queue_close(q);
    cssf_radius_destroy(c);
    responder_stop(&r);
    remove_db(path);
}

/*
 * Some answers are lost: only those records are sent again (alone first,
 * while backing off), never one that was acknowledged; a session's
 * later record waits for its earlier one.
 */
static void queue_resends_only_unacknowledged_in_session_order(void **state) {
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    responder_t r;
    responder_start(&r);
    r.drop_prefix = "lost";
    r.drop_times = 1;
    responder_run(&r);
    cssf_radius_client_t *c = client_for(&r.port, 1, 0, 1000);
    cssf_acct_queue_t *q = queue_on(path, c, 8);
    char sid[30][16];
    for (int i = 0; i < 30; i++) {
        snprintf(sid[i], sizeof sid[i], "%s%02d", i % 7 == 3 ? "lost" : "kept", i);
        cssf_radius_acct_t rec = {.status_type = CSSF_RADIUS_ACCT_START, .session_id = sid[i]};
        assert_int_equal(cssf_acct_queue_push(q, &rec), 0);
        rec.status_type = CSSF_RADIUS_ACCT_STOP;
        rec.session_time = 1;
        assert_int_equal(cssf_acct_queue_push(q, &rec), 0);
    }
    assert_int_equal(cssf_acct_queue_flush(q, 10000), 0);
    cssf_acct_queue_stats_t st;
    cssf_acct_queue_get_stats(q, &st);
    assert_int_equal(st.sent, 60);
    assert_int_equal(rows_in_file(path), 0);
    for (int i = 0; i < 30; i++) {
        /* Start and Stop once each; a lost Start once more, and its Stop
         * only after the Start was answered. */
        char kinds[16];
        session_kinds(&r, sid[i], kinds, sizeof kinds);
        assert_string_equal(kinds, i % 7 == 3 ? "SSP" : "SP");
    }
    cssf_acct_queue_close(q);
    cssf_radius_destroy(c);
    responder_stop(&r);
    remove_db(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(out_of_order_answers),
        cmocka_unit_test(forged_answers_in_the_window_ignored),
        cmocka_unit_test(some_time_out_with_their_own_retransmissions),
        cmocka_unit_test(failover_per_request),
        cmocka_unit_test(dead_marking_per_request),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(no_secret_fails_closed),
        cmocka_unit_test(queue_deletes_only_after_answers_and_sends_once),
        cmocka_unit_test(queue_resends_only_unacknowledged_in_session_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
