/*
 * CoAP binding cost without the pipeline: a server with a constant handler
 * on loopback and the project's client, sequentially (one request in
 * flight): plain CoAP requests/s, DTLS-PSK handshakes/s, DTLS requests/s in
 * one session, and a 5000-byte Block2 response. Client and server share
 * the machine, so the figures are a floor for the server.
 * usage: bench_coap [SECONDS per measure, default 2]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/coap/coap_client.h"
#include "cse/coap/coap_onem2m.h"
#include "cse/coap/coap_server.h"
#include "cse/core/rsc.h"

static void handler(cse_request_t *req, cse_response_t *resp) {
    size_t n = strcmp(req->to, "/big") == 0 ? 5000 : 64;
    resp->rsc = CSE_RSC_OK;
    resp->body = malloc(n);
    memset(resp->body, 'x', n);
    resp->body_len = n;
}

static int run_event(int event, void *data) {
    if (event != CSE_EVT_PSK_LOOKUP)
        return CSE_PLUGIN_DEFER;
    cse_evt_psk_lookup_t *ev = data;
    memcpy(ev->key, "0123456789abcdef", 16);
    ev->key_len = 16;
    return CSE_PLUGIN_OK;
}

static cse_coap_client_t *open_client(int port, int dtls) {
    cse_coap_client_cfg_t cfg;
    char err[256];
    cse_coap_client_cfg_default(&cfg);
    cfg.port = port;
    cfg.dtls = dtls;
    cfg.psk_identity = "bench";
    cfg.psk = (const uint8_t *)"0123456789abcdef";
    cfg.psk_len = 16;
    cse_coap_client_t *c = cse_coap_client_open(&cfg, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "bench_coap: %s\n", err);
        exit(1);
    }
    return c;
}

static void request(cse_coap_client_t *c, const char *path) {
    cse_coap_msg_t m;
    cse_coap_client_result_t res;
    char err[256];
    cse_coap_msg_init(&m);
    m.code = CSE_COAP_GET;
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, path);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_M2M_RQI, "b");
    if (cse_coap_client_request(c, &m, NULL, 0, &res, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench_coap: %s\n", err);
        exit(1);
    }
    cse_coap_client_result_free(&res);
}

static void report(const char *what, long n, uint64_t start) {
    double secs = (double)(cse_coap_now_ms() - start) / 1000.0;
    printf("%-34s %8.0f /s  (%ld in %.1f s)\n", what, (double)n / secs, n, secs);
}

int main(int argc, char **argv) {
    uint64_t ms = (uint64_t)(argc > 1 ? atof(argv[1]) * 1000 : 2000);
    cse_coap_server_opts_t o;
    char err[256];
    cse_coap_server_opts_default(&o);
    o.port = 0;
    o.dtls_port = 0;
    o.endpoint.handler = handler;
    o.dtls.run_event = run_event;
    cse_coap_server_t *srv = cse_coap_server_start(&o, err, sizeof(err));
    if (!srv) {
        fprintf(stderr, "bench_coap: %s\n", err);
        return 1;
    }
    long n;
    uint64_t t0;
    cse_coap_client_t *c = open_client(cse_coap_server_port(srv, 0), 0);
    for (n = 0, t0 = cse_coap_now_ms(); cse_coap_now_ms() - t0 < ms; n++)
        request(c, "x");
    report("plain CoAP GET (64-byte body)", n, t0);
    for (n = 0, t0 = cse_coap_now_ms(); cse_coap_now_ms() - t0 < ms; n++)
        request(c, "big");
    report("plain CoAP GET 5000 bytes (Block2)", n, t0);
    cse_coap_client_close(c);
    for (n = 0, t0 = cse_coap_now_ms(); cse_coap_now_ms() - t0 < ms; n++)
        cse_coap_client_close(open_client(cse_coap_server_port(srv, 1), 1));
    report("DTLS-PSK handshake + close", n, t0);
    c = open_client(cse_coap_server_port(srv, 1), 1);
    for (n = 0, t0 = cse_coap_now_ms(); cse_coap_now_ms() - t0 < ms; n++)
        request(c, "x");
    report("DTLS-PSK GET in one session", n, t0);
    cse_coap_client_close(c);
    cse_coap_server_stop(srv);
    return 0;
}
