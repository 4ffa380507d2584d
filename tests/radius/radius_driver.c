/*
 * Test driver for the CSSF RADIUS client: creates one client from its
 * options, then runs commands read from stdin, one per line, and answers
 * each with one JSON line on stdout. tests/e2e/test_radius_*.py drive it
 * against real FreeRADIUS instances and forging responders, so a single
 * client keeps its server health across commands (failover, revival).
 *
 *   radius_driver --auth H:P:S [--auth ...] [--acct H:P:S ...] [--nas-id ID]
 *                 [--nas-ip IP] [--timeout-ms N] [--retries N]
 *                 [--dead-after N] [--probe-ms N] [--acct-allow-missing-ma]
 * Commands:
 *   auth USER PASSWORD [CALLING-STATION-ID]
 *   acct start|interim|stop SESSION [TIME IN-OCTETS OUT-OCTETS IN-PKTS OUT-PKTS CAUSE]
 *   status
 *   parallel N USER PASSWORD     N threads authenticate at once
 *   sleep MS
 *
 * With --aaa KEY=VALUE options (the plugin's radius_* keys) instead, the
 * driver builds the plugin's AAA state (plugin/aaa/aaa.h) and also takes:
 *   psk IDENTITY | basic USER PASSWORD
 *   session start SID USER | session traffic SID IN OUT | session stop SID
 *   flush MS                     wait for the accounting queue to empty
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "plugin/aaa/aaa.h"
#include "plugin/aaa/radius_client.h"

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void json_str(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void json_hex(const uint8_t *b, size_t n) {
    putchar('"');
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    putchar('"');
}

static void print_reply(cssf_radius_result_t r, const cssf_radius_reply_t *rep, uint64_t ms) {
    printf("{\"result\":\"%s\",\"code\":%d,\"server\":%d,\"ms\":%llu,\"reason\":",
           cssf_radius_result_name(r), rep->code, rep->server, (unsigned long long)ms);
    json_str(rep->reason);
    printf(",\"reply_message\":");
    json_str(rep->reply_message);
    printf(",\"session_timeout\":%u,\"class\":", rep->session_timeout);
    json_hex(rep->class_attr, rep->class_len);
    if (rep->has_tunnel_password) {
        printf(",\"tunnel_tag\":%u,\"tunnel_password\":", rep->tunnel_tag);
        json_hex(rep->tunnel_password, rep->tunnel_password_len);
    }
    printf("}\n");
}

static void cmd_auth(cssf_radius_client_t *c, char **argv, int argc) {
    if (argc < 3) {
        printf("{\"error\":\"usage: auth USER PASSWORD [CALLING]\"}\n");
        return;
    }
    cssf_radius_reply_t rep;
    uint64_t t0 = now_ms();
    cssf_radius_result_t r = cssf_radius_authenticate(
        c, argv[1], (const uint8_t *)argv[2], strlen(argv[2]), argc > 3 ? argv[3] : NULL, &rep);
    print_reply(r, &rep, now_ms() - t0);
    cssf_radius_reply_clear(&rep);
}

static void cmd_acct(cssf_radius_client_t *c, char **argv, int argc) {
    cssf_radius_acct_t rec = {0};
    if (argc < 3) {
        printf("{\"error\":\"usage: acct start|interim|stop SESSION ...\"}\n");
        return;
    }
    rec.status_type = !strcmp(argv[1], "start")     ? CSSF_RADIUS_ACCT_START
                      : !strcmp(argv[1], "interim") ? CSSF_RADIUS_ACCT_INTERIM
                      : !strcmp(argv[1], "stop")    ? CSSF_RADIUS_ACCT_STOP
                                                    : 0;
    rec.session_id = argv[2];
    rec.user_name = "alice";
    rec.calling_station_id = "127.0.0.1";
    if (argc >= 9) {
        rec.session_time = (uint32_t)strtoul(argv[3], NULL, 10);
        rec.input_octets = strtoull(argv[4], NULL, 10);
        rec.output_octets = strtoull(argv[5], NULL, 10);
        rec.input_packets = (uint32_t)strtoul(argv[6], NULL, 10);
        rec.output_packets = (uint32_t)strtoul(argv[7], NULL, 10);
        rec.terminate_cause = (uint32_t)strtoul(argv[8], NULL, 10);
    }
    cssf_radius_reply_t rep;
    uint64_t t0 = now_ms();
    cssf_radius_result_t r = cssf_radius_account(c, &rec, &rep);
    print_reply(r, &rep, now_ms() - t0);
}

static void cmd_status(cssf_radius_client_t *c) {
    cssf_radius_server_status_t st[2 * CSSF_RADIUS_MAX_SERVERS];
    size_t n = 0;
    int alive = cssf_radius_status(c, st, sizeof st / sizeof st[0], &n);
    printf("{\"alive\":%d,\"servers\":[", alive);
    for (size_t i = 0; i < n; i++) {
        printf("%s{\"name\":", i ? "," : "");
        json_str(st[i].name);
        printf(",\"acct\":%d,\"alive\":%d,\"result\":\"%s\",\"rtt_ms\":%u,\"reason\":", st[i].acct,
               st[i].alive, cssf_radius_result_name(st[i].result), st[i].rtt_ms);
        json_str(st[i].reason);
        putchar('}');
    }
    printf("]}\n");
}

typedef struct par {
    cssf_radius_client_t *c;
    const char *user, *pw;
    cssf_radius_result_t r;
} par_t;

static void *par_main(void *arg) {
    par_t *p = arg;
    cssf_radius_reply_t rep;
    p->r =
        cssf_radius_authenticate(p->c, p->user, (const uint8_t *)p->pw, strlen(p->pw), NULL, &rep);
    cssf_radius_reply_clear(&rep);
    return NULL;
}

static void cmd_parallel(cssf_radius_client_t *c, char **argv, int argc) {
    int n = argc >= 4 ? atoi(argv[1]) : 0;
    if (n <= 0 || n > 512) {
        printf("{\"error\":\"usage: parallel N(1..512) USER PASSWORD\"}\n");
        return;
    }
    pthread_t *th = calloc((size_t)n, sizeof *th);
    par_t *ps = calloc((size_t)n, sizeof *ps);
    int counts[6] = {0};
    uint64_t t0 = now_ms();
    for (int i = 0; i < n; i++) {
        ps[i] = (par_t){c, argv[2], argv[3], CSSF_RADIUS_ERROR};
        if (pthread_create(&th[i], NULL, par_main, &ps[i]) != 0)
            th[i] = 0;
    }
    for (int i = 0; i < n; i++) {
        if (th[i])
            pthread_join(th[i], NULL);
        counts[ps[i].r]++;
    }
    printf("{\"ms\":%llu", (unsigned long long)(now_ms() - t0));
    for (int r = 0; r < 6; r++)
        printf(",\"%s\":%d", cssf_radius_result_name((cssf_radius_result_t)r), counts[r]);
    printf("}\n");
    free(th);
    free(ps);
}

static struct sockaddr_in loopback_peer(void) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(40000)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static void cmd_psk(cssf_aaa_t *a, char **argv, int argc) {
    uint8_t key[64];
    size_t len = 0;
    char reason[256];
    struct sockaddr_in peer = loopback_peer();
    if (argc < 2) {
        printf("{\"error\":\"usage: psk IDENTITY\"}\n");
        return;
    }
    uint64_t t0 = now_ms();
    int rc = cssf_aaa_psk_lookup(a, argv[1], (struct sockaddr *)&peer, key, sizeof key, &len,
                                 reason, sizeof reason);
    printf("{\"ok\":%s,\"ms\":%llu,\"key\":", rc == 0 ? "true" : "false",
           (unsigned long long)(now_ms() - t0));
    json_hex(key, rc == 0 ? len : 0);
    printf(",\"reason\":");
    json_str(reason);
    printf("}\n");
}

static void cmd_basic(cssf_aaa_t *a, char **argv, int argc) {
    char reason[256];
    struct sockaddr_in peer = loopback_peer();
    if (argc < 3) {
        printf("{\"error\":\"usage: basic USER PASSWORD\"}\n");
        return;
    }
    uint64_t t0 = now_ms();
    int ok = cssf_aaa_check_password(a, argv[1], argv[2], (struct sockaddr *)&peer, reason,
                                     sizeof reason);
    printf("{\"ok\":%s,\"ms\":%llu,\"reason\":", ok ? "true" : "false",
           (unsigned long long)(now_ms() - t0));
    json_str(reason);
    printf("}\n");
}

static void cmd_session(cssf_aaa_t *a, char **argv, int argc) {
    struct sockaddr_in peer = loopback_peer();
    uint64_t sid = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
    if (argc > 3 && !strcmp(argv[1], "start"))
        cssf_aaa_session_start(a, sid, argv[3], (struct sockaddr *)&peer);
    else if (argc > 4 && !strcmp(argv[1], "traffic"))
        cssf_aaa_session_traffic(a, sid, strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
    else if (argc > 2 && !strcmp(argv[1], "stop"))
        cssf_aaa_session_stop(a, sid);
    else {
        printf("{\"error\":\"usage: session start SID USER | traffic SID IN OUT | stop SID\"}\n");
        return;
    }
    printf("{\"ok\":true}\n");
}

static void cmd_flush(cssf_aaa_t *a, char **argv, int argc) {
    cssf_acct_queue_stats_t st;
    if (cssf_aaa_acct_stats(a, &st) != 0) {
        printf("{\"error\":\"accounting is off\"}\n");
        return;
    }
    int empty = cssf_aaa_acct_flush(a, argc > 1 ? (unsigned)atoi(argv[1]) : 1000) == 0;
    cssf_aaa_acct_stats(a, &st);
    printf("{\"empty\":%s,\"pending\":%llu,\"sent\":%llu,\"failures\":%llu}\n",
           empty ? "true" : "false", (unsigned long long)st.pending, (unsigned long long)st.sent,
           (unsigned long long)st.failures);
}

/* AAA mode: the plugin's state built from radius_* options. */
static int run_aaa(int argc, char **argv) {
    cssf_aaa_config_t cfg;
    cssf_aaa_t *a = NULL;
    char err[512];
    cssf_aaa_config_init(&cfg);
    for (int i = 1; i + 1 < argc; i += 2) {
        char *eq = strchr(argv[i + 1], '=');
        if (strcmp(argv[i], "--aaa") || !eq) {
            fprintf(stderr, "radius_driver: expected --aaa KEY=VALUE\n");
            return 2;
        }
        *eq = '\0';
        if (cssf_aaa_config_option(&cfg, argv[i + 1], eq + 1, err, sizeof err) != 1) {
            printf("{\"error\":");
            json_str(err);
            printf("}\n");
            return 1;
        }
    }
    int rc = cssf_aaa_create(&cfg, "/id-driver", &a, err, sizeof err);
    cssf_aaa_config_free(&cfg);
    if (rc != 0 || !a) {
        printf("{\"error\":");
        json_str(rc ? err : "no RADIUS server configured");
        printf("}\n");
        return 1;
    }
    printf("{\"ready\":true}\n");
    fflush(stdout);
    char line[1024];
    while (fgets(line, sizeof line, stdin)) {
        char *args[16];
        int n = 0;
        for (char *tok = strtok(line, " \t\r\n"); tok && n < 16; tok = strtok(NULL, " \t\r\n"))
            args[n++] = tok;
        if (n == 0)
            continue;
        if (!strcmp(args[0], "psk"))
            cmd_psk(a, args, n);
        else if (!strcmp(args[0], "basic"))
            cmd_basic(a, args, n);
        else if (!strcmp(args[0], "session"))
            cmd_session(a, args, n);
        else if (!strcmp(args[0], "flush"))
            cmd_flush(a, args, n);
        else if (!strcmp(args[0], "status"))
            cmd_status(cssf_aaa_radius(a));
        else
            printf("{\"error\":\"unknown command\"}\n");
        fflush(stdout);
    }
    cssf_aaa_destroy(a);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "--aaa"))
        return run_aaa(argc, argv);
    cssf_radius_config_t cfg;
    cssf_radius_config_init(&cfg);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--acct-allow-missing-ma")) {
            cfg.acct_allow_missing_ma = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "radius_driver: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--auth") && cfg.n_auth < CSSF_RADIUS_MAX_SERVERS)
            cfg.auth_servers[cfg.n_auth++] = v;
        else if (!strcmp(a, "--acct") && cfg.n_acct < CSSF_RADIUS_MAX_SERVERS)
            cfg.acct_servers[cfg.n_acct++] = v;
        else if (!strcmp(a, "--nas-id"))
            cfg.nas_identifier = v;
        else if (!strcmp(a, "--nas-ip"))
            cfg.nas_ip_address = v;
        else if (!strcmp(a, "--timeout-ms"))
            cfg.timeout_ms = (unsigned)atoi(v);
        else if (!strcmp(a, "--retries"))
            cfg.retries = (unsigned)atoi(v);
        else if (!strcmp(a, "--dead-after"))
            cfg.dead_after = (unsigned)atoi(v);
        else if (!strcmp(a, "--probe-ms"))
            cfg.probe_interval_ms = (unsigned)atoi(v);
        else {
            fprintf(stderr, "radius_driver: unknown option %s\n", a);
            return 2;
        }
    }
    cssf_radius_client_t *c;
    char err[256];
    if (cssf_radius_create(&cfg, &c, err, sizeof err) != 0) {
        printf("{\"error\":");
        json_str(err);
        printf("}\n");
        return 1;
    }
    printf("{\"ready\":true}\n");
    fflush(stdout);
    char line[1024];
    while (fgets(line, sizeof line, stdin)) {
        char *args[16];
        int n = 0;
        for (char *tok = strtok(line, " \t\r\n"); tok && n < 16; tok = strtok(NULL, " \t\r\n"))
            args[n++] = tok;
        if (n == 0)
            continue;
        if (!strcmp(args[0], "auth"))
            cmd_auth(c, args, n);
        else if (!strcmp(args[0], "acct"))
            cmd_acct(c, args, n);
        else if (!strcmp(args[0], "status"))
            cmd_status(c);
        else if (!strcmp(args[0], "parallel"))
            cmd_parallel(c, args, n);
        else if (!strcmp(args[0], "sleep") && n > 1) {
            usleep((useconds_t)atoi(args[1]) * 1000u);
            printf("{\"slept\":true}\n");
        } else
            printf("{\"error\":\"unknown command\"}\n");
        fflush(stdout);
    }
    cssf_radius_destroy(c);
    return 0;
}
