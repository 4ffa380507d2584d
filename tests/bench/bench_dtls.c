/*
 * CoAP over DTLS against plain CoAP, through the real pipeline and store:
 *  1. GET of one contentInstance, plain CoAP and in an established DTLS-PSK
 *     session (one request in flight), and their ratio;
 *  2. full DTLS-PSK handshakes: wall rate and the server thread's CPU per
 *     handshake (the client runs on the same cores, so the wall rate is a
 *     floor while the CPU figure is the server's cost);
 *  3. memory: N active sessions (parking off), then M sessions parked
 *     (RSS growth / count, after malloc_trim), with the restore path.
 * The server loop is the one of coap_server.c (a thread owning the message
 * layer and the DTLS sessions). Memory clients are minimal mbedTLS clients,
 * each from its own loopback address (127.x.y.z), that do one handshake and
 * one GET and vanish without close_notify, as sleeping devices do.
 * usage: bench_dtls [SECONDS per rate, default 2] [ACTIVE=2000] [PARKED=100000]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/timing.h>

#include "cse/coap/coap_client.h"
#include "cse/coap/coap_dtls.h"
#include "cse/coap/coap_endpoint.h"
#include "cse/coap/coap_onem2m.h"
#include "cse/core/config.h"
#include "cse/core/cse.h"
#include "cse/core/log.h"
#include "cse/core/pipeline.h"
#include "cse/store/store.h"
#include "tests/bench/bench_util.h"

#define PSK "0123456789abcdef"

static struct {
    int plain_fd, dtls_fd, plain_port, dtls_port;
    cse_coap_dtls_t *d;
    cse_coap_endpoint_t *ep;
    pthread_t thread;
    pthread_mutex_t lock;
    volatile int stop;
    uint8_t rx[2048], tx[2048];
} S;

static int run_event(int event, void *data) {
    if (event != CSE_EVT_PSK_LOOKUP)
        return CSE_PLUGIN_DEFER;
    cse_evt_psk_lookup_t *ev = data;
    memcpy(ev->key, PSK, 16);
    ev->key_len = 16;
    return CSE_PLUGIN_OK;
}

static size_t on_app(void *user, const cse_security_context_t *sec, const uint8_t *in, size_t len,
                     uint8_t *out, size_t cap) {
    (void)user;
    return cse_coap_endpoint_input(S.ep, sec, in, len, cse_coap_now_ms(), out, cap);
}

static void serve_plain(void) {
    for (;;) {
        cse_security_context_t sec;
        memset(&sec, 0, sizeof(sec));
        sec.version = 1;
        sec.binding = CSE_BINDING_COAP;
        sec.peer_len = sizeof(sec.peer);
        ssize_t n = recvfrom(S.plain_fd, S.rx, sizeof(S.rx), MSG_DONTWAIT,
                             (struct sockaddr *)&sec.peer, &sec.peer_len);
        if (n < 0)
            return;
        size_t out = cse_coap_endpoint_input(S.ep, &sec, S.rx, (size_t)n, cse_coap_now_ms(), S.tx,
                                             sizeof(S.tx));
        if (out)
            sendto(S.plain_fd, S.tx, out, 0, (struct sockaddr *)&sec.peer, sec.peer_len);
    }
}

static void serve_dtls(void) {
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        ssize_t n =
            recvfrom(S.dtls_fd, S.rx, sizeof(S.rx), MSG_DONTWAIT, (struct sockaddr *)&peer, &plen);
        if (n < 0)
            return;
        cse_coap_dtls_input(S.d, (struct sockaddr *)&peer, plen, S.rx, (size_t)n,
                            cse_coap_now_ms());
    }
}

static void *loop(void *arg) {
    (void)arg;
    int timeout = 10;
    while (!S.stop) {
        struct pollfd fds[2] = {{.fd = S.plain_fd, .events = POLLIN},
                                {.fd = S.dtls_fd, .events = POLLIN}};
        poll(fds, 2, timeout < 10 ? timeout : 10);
        pthread_mutex_lock(&S.lock);
        if (fds[0].revents)
            serve_plain();
        if (fds[1].revents)
            serve_dtls();
        timeout = cse_coap_dtls_tick(S.d, cse_coap_now_ms());
        pthread_mutex_unlock(&S.lock);
    }
    return NULL;
}

static int udp_bind(int *port) {
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
        return -1;
    getsockname(fd, (struct sockaddr *)&a, &alen);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Replaces the DTLS server (every session closed) with one of this configuration. */
static void dtls_restart(int max_sessions, uint32_t park_after_ms, int max_parked) {
    cse_coap_dtls_cfg_t cfg;
    char err[256];
    cse_coap_dtls_cfg_default(&cfg);
    cfg.max_sessions = max_sessions;
    cfg.park_after_ms = park_after_ms;
    cfg.max_parked = max_parked;
    cfg.run_event = run_event;
    cfg.on_app = on_app;
    pthread_mutex_lock(&S.lock);
    cse_coap_dtls_free(S.d);
    S.d = cse_coap_dtls_new(&cfg, S.dtls_fd, err, sizeof(err));
    pthread_mutex_unlock(&S.lock);
    if (!S.d) {
        fprintf(stderr, "bench_dtls: %s\n", err);
        exit(1);
    }
}

static double server_cpu_s(void) {
    clockid_t cid;
    struct timespec ts;
    if (pthread_getcpuclockid(S.thread, &cid) != 0 || clock_gettime(cid, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* RSS once freed memory went back to the system (both arenas). */
static long rss_trimmed_kb(void) {
    pthread_mutex_lock(&S.lock);
    malloc_trim(0);
    pthread_mutex_unlock(&S.lock);
    return bench_rss_kb();
}

static cse_coap_client_t *open_client(int dtls) {
    cse_coap_client_cfg_t cfg;
    char err[256];
    cse_coap_client_cfg_default(&cfg);
    cfg.port = dtls ? S.dtls_port : S.plain_port;
    cfg.dtls = dtls;
    cfg.psk_identity = "bench";
    cfg.psk = (const uint8_t *)PSK;
    cfg.psk_len = 16;
    cse_coap_client_t *c = cse_coap_client_open(&cfg, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "bench_dtls: %s\n", err);
        exit(1);
    }
    return c;
}

/* The GET of the contentInstance; exits unless it answers 2000. */
static void build_get(cse_coap_msg_t *m) {
    cse_coap_msg_init(m);
    m->code = CSE_COAP_GET;
    cse_coap_msg_add_str(m, CSE_COAP_OPT_URI_PATH, "cse-in");
    cse_coap_msg_add_str(m, CSE_COAP_OPT_URI_PATH, "bench");
    cse_coap_msg_add_str(m, CSE_COAP_OPT_URI_PATH, "data");
    cse_coap_msg_add_str(m, CSE_COAP_OPT_URI_PATH, "c1");
    cse_coap_msg_add_str(m, CSE_COAP_OPT_M2M_FR, "Cbench");
    cse_coap_msg_add_str(m, CSE_COAP_OPT_M2M_RQI, "b");
    cse_coap_msg_add_str(m, CSE_COAP_OPT_M2M_RVI, "3");
}

static void get_cin(cse_coap_client_t *c) {
    cse_coap_msg_t m;
    cse_coap_client_result_t res;
    char err[256];
    build_get(&m);
    if (cse_coap_client_request(c, &m, NULL, 0, &res, err, sizeof(err)) < 0 || !res.has_rsc ||
        res.rsc != 2000) {
        fprintf(stderr, "bench_dtls: GET failed: %s rsc=%u\n", err, res.rsc);
        exit(1);
    }
    cse_coap_client_result_free(&res);
}

/* --- minimal clients for the memory figures ------------------------------- */

static mbedtls_ssl_config ccfg;
static mbedtls_entropy_context centropy;
static mbedtls_ctr_drbg_context cdrbg;

static void raw_init(void) {
    mbedtls_ssl_config_init(&ccfg);
    mbedtls_entropy_init(&centropy);
    mbedtls_ctr_drbg_init(&cdrbg);
    mbedtls_ctr_drbg_seed(&cdrbg, mbedtls_entropy_func, &centropy, NULL, 0);
    mbedtls_ssl_config_defaults(&ccfg, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_DATAGRAM,
                                MBEDTLS_SSL_PRESET_DEFAULT);
    mbedtls_ssl_conf_rng(&ccfg, mbedtls_ctr_drbg_random, &cdrbg);
    mbedtls_ssl_conf_psk(&ccfg, (const unsigned char *)PSK, 16, (const unsigned char *)"bench", 5);
    mbedtls_ssl_conf_read_timeout(&ccfg, 2000);
    mbedtls_ssl_conf_handshake_timeout(&ccfg, 500, 4000);
}

/* One device: handshake from 127.x.y.z, one GET, then gone. 0 on success. */
static int raw_session(uint32_t i) {
    int rc = -1;
    struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
    src.sin_addr.s_addr =
        htonl(0x7f000000u | ((1 + i / 64000) << 16) | ((i % 64000 / 250) << 8) | (1 + i % 250));
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    dst.sin_port = htons((uint16_t)S.dtls_port);
    mbedtls_net_context net = {.fd = socket(AF_INET, SOCK_DGRAM, 0)};
    mbedtls_ssl_context ssl;
    mbedtls_timing_delay_context timer;
    mbedtls_ssl_init(&ssl);
    if (net.fd < 0 || bind(net.fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
        connect(net.fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 ||
        mbedtls_ssl_setup(&ssl, &ccfg) != 0)
        goto out;
    mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout);
    mbedtls_ssl_set_timer_cb(&ssl, &timer, mbedtls_timing_set_delay, mbedtls_timing_get_delay);
    int ret;
    do
        ret = mbedtls_ssl_handshake(&ssl);
    while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (ret != 0)
        goto out;
    cse_coap_msg_t m;
    uint8_t buf[1200];
    build_get(&m);
    m.mid = (uint16_t)i;
    m.token_len = 2;
    m.token[0] = (uint8_t)i;
    m.token[1] = (uint8_t)(i >> 8);
    long n = cse_coap_serialize(&m, buf, sizeof(buf));
    if (n <= 0 || mbedtls_ssl_write(&ssl, buf, (size_t)n) != n)
        goto out;
    do
        ret = mbedtls_ssl_read(&ssl, buf, sizeof(buf));
    while (ret == MBEDTLS_ERR_SSL_WANT_READ);
    rc = ret > 0 ? 0 : -1;
out:
    mbedtls_ssl_free(&ssl);
    if (net.fd >= 0)
        close(net.fd);
    return rc;
}

static int counts(int *parked) {
    pthread_mutex_lock(&S.lock);
    int active = cse_coap_dtls_session_count(S.d);
    *parked = cse_coap_dtls_parked_count(S.d);
    pthread_mutex_unlock(&S.lock);
    return active;
}

/* n devices from index first; prints the rate; returns failures. */
static long raw_sessions(uint32_t first, uint32_t n, const char *what) {
    long failed = 0;
    double cpu0 = server_cpu_s(), t0 = bench_now_s();
    for (uint32_t i = 0; i < n; i++)
        failed += raw_session(first + i) != 0;
    double dt = bench_now_s() - t0, cpu = server_cpu_s() - cpu0;
    if (what)
        printf("%-44s %8.0f /s  server CPU %.0f us each  (%u, %ld failed)\n", what, (double)n / dt,
               cpu * 1e6 / n, n, failed);
    return failed;
}

int main(int argc, char **argv) {
    double secs = argc > 1 ? atof(argv[1]) : 2;
    uint32_t n_active = argc > 2 ? (uint32_t)atol(argv[2]) : 2000;
    uint32_t n_parked = argc > 3 ? (uint32_t)atol(argv[3]) : 100000;
    char dir[] = "/tmp/bench-dtls-XXXXXX", path[600], err[256];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/cse.db", dir);
    cse_log_set_level_name("error");
    cse_store_t *st = cse_store_open(path, err, sizeof(err));
    static cse_config_t cfg;
    strcpy(cfg.cse_id, "/id-in");
    strcpy(cfg.resource_name, "cse-in");
    if (!st || cse_core_init(&cfg, st, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_dtls: %s\n", err);
        return 1;
    }
    cse_pipeline_set_insecure(1);
    bench_pipeline(CSE_OP_CREATE, "/cse-in", 2,
                   "{\"m2m:ae\":{\"rn\":\"bench\",\"api\":\"Nb\",\"rr\":true,\"srv\":[\"3\"]}}");
    bench_pipeline(CSE_OP_CREATE, "/cse-in/bench", 3, "{\"m2m:cnt\":{\"rn\":\"data\"}}");
    if (bench_pipeline(CSE_OP_CREATE, "/cse-in/bench/data", 4,
                       "{\"m2m:cin\":{\"rn\":\"c1\",\"cnf\":\"text/plain:0\",\"con\":\"21.5\"}}") !=
        2001) {
        fprintf(stderr, "bench_dtls: cannot create the contentInstance\n");
        return 1;
    }

    cse_coap_endpoint_cfg_t ecfg;
    cse_coap_endpoint_cfg_default(&ecfg);
    ecfg.handler = cse_pipeline_handle;
    S.ep = cse_coap_endpoint_new(&ecfg);
    S.plain_fd = udp_bind(&S.plain_port);
    S.dtls_fd = udp_bind(&S.dtls_port);
    pthread_mutex_init(&S.lock, NULL);
    dtls_restart(1024, 0, 0);
    pthread_create(&S.thread, NULL, loop, NULL);

    /* 1. GET of a contentInstance */
    double rate[2];
    for (int dtls = 0; dtls <= 1; dtls++) {
        cse_coap_client_t *c = open_client(dtls);
        get_cin(c);
        long n = 0;
        double cpu0 = server_cpu_s(), t0 = bench_now_s();
        for (; bench_now_s() - t0 < secs; n++)
            get_cin(c);
        double dt = bench_now_s() - t0, cpu = server_cpu_s() - cpu0;
        rate[dtls] = (double)n / dt;
        printf("%-44s %8.0f /s  server CPU %.1f us each\n",
               dtls ? "GET contentInstance, DTLS-PSK session" : "GET contentInstance, plain CoAP",
               rate[dtls], cpu * 1e6 / (double)n);
        cse_coap_client_close(c);
    }
    printf("%-44s %8.2f\n", "ratio DTLS / plain", rate[1] / rate[0]);

    /* 2. full handshakes (project client: DRBG seeding per client is client-side) */
    long n = 0;
    double cpu0 = server_cpu_s(), t0 = bench_now_s();
    for (; bench_now_s() - t0 < secs; n++)
        cse_coap_client_close(open_client(1));
    double dt = bench_now_s() - t0, cpu = server_cpu_s() - cpu0;
    printf("%-44s %8.0f /s  server CPU %.1f us each  (%.0f /s per core)\n",
           "DTLS-PSK handshake + close_notify", (double)n / dt, cpu * 1e6 / (double)n,
           (double)n / cpu);

    /* 3. memory: active sessions, parking off */
    raw_init();
    dtls_restart((int)n_active + 2000, 0, 0);
    raw_sessions(0, 1100, NULL); /* fills the bounded duplicate cache first */
    long rss0 = rss_trimmed_kb();
    long failed = raw_sessions(2000, n_active, "devices: handshake + GET (parking off)");
    int parked, active = counts(&parked);
    long rss1 = rss_trimmed_kb();
    printf("%-44s %8.0f bytes  (%d active, RSS +%ld kB)\n", "memory per active session",
           (double)(rss1 - rss0) * 1024.0 / (double)(n_active - (uint32_t)failed), active,
           rss1 - rss0);

    /* memory: parked sessions (parked 1 ms after their GET, 1024 active at most) */
    dtls_restart(1024, 1, (int)n_parked + 1000);
    long rss2 = rss_trimmed_kb();
    failed = raw_sessions(200000, n_parked, "devices: handshake + GET, then parked");
    for (int i = 0; i < 200 && counts(&parked) > 0; i++)
        usleep(10000);
    active = counts(&parked);
    long rss3 = rss_trimmed_kb();
    printf("%-44s %8.0f bytes  (%d parked, %d active, RSS +%ld kB)\n", "memory per parked session",
           (double)(rss3 - rss2) * 1024.0 / (double)(parked > 0 ? parked : 1), parked, active,
           rss3 - rss2);

    /* restore: the project's client keeps its session while it is parked */
    cse_coap_client_t *c = open_client(1);
    get_cin(c);
    long restores = 0;
    double restore_cpu = 0;
    t0 = bench_now_s();
    for (; bench_now_s() - t0 < secs && restores < 200; restores++) {
        for (int i = 0; i < 100 && counts(&parked) > 0; i++)
            usleep(2000); /* wait until it is parked */
        cpu0 = server_cpu_s();
        get_cin(c);
        restore_cpu += server_cpu_s() - cpu0;
    }
    cse_coap_dtls_stats_t dst;
    pthread_mutex_lock(&S.lock);
    cse_coap_dtls_stats(S.d, &dst);
    pthread_mutex_unlock(&S.lock);
    printf("%-44s %8.1f us server CPU  (%ld GETs, %llu restores, %llu handshakes)\n",
           "GET on a parked session (restore + GET)", restore_cpu * 1e6 / (double)restores,
           restores, (unsigned long long)dst.restored, (unsigned long long)dst.handshakes);
    cse_coap_client_close(c);

    S.stop = 1;
    pthread_join(S.thread, NULL);
    cse_coap_dtls_free(S.d);
    cse_coap_endpoint_free(S.ep);
    mbedtls_ssl_config_free(&ccfg);
    mbedtls_ctr_drbg_free(&cdrbg);
    mbedtls_entropy_free(&centropy);
    close(S.plain_fd);
    close(S.dtls_fd);
    cse_core_shutdown();
    cse_store_close(st);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) != 0;
}
