/* libFuzzer target: the CoAP codec and the whole message layer (parse,
 * options, Block1/Block2, oneM2M mapping) with a handler that answers
 * like the pipeline. Every reply must parse again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cse/coap/coap_endpoint.h"
#include "cse/coap/coap_msg.h"

static void handler(cse_request_t *req, cse_response_t *resp) {
    /* echo the body, so responses large enough for Block2 happen */
    resp->rsc = req->op == CSE_OP_CREATE ? 2001 : 2000;
    if (req->op == CSE_OP_CREATE)
        strcpy(resp->location, "/cse-in/x");
    size_t n = req->body_len * 3;
    resp->body = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        resp->body[i] = req->body[i % req->body_len];
    resp->body_len = n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static cse_coap_endpoint_t *ep;
    if (!ep) {
        cse_coap_endpoint_cfg_t cfg;
        cse_coap_endpoint_cfg_default(&cfg);
        cfg.handler = handler;
        cfg.dedup_entries = 16;
        ep = cse_coap_endpoint_new(&cfg);
    }
    cse_coap_msg_t m;
    uint8_t out[2048], again[2048];
    if (cse_coap_parse(data, size, NULL, &m) == CSE_COAP_OK) {
        long n = cse_coap_serialize(&m, again, sizeof(again));
        if (n > 0 && ((size_t)n != size || memcmp(again, data, size) != 0))
            abort(); /* a valid message re-serializes to the same bytes */
    }
    cse_security_context_t sec;
    memset(&sec, 0, sizeof(sec));
    sec.binding = CSE_BINDING_COAP;
    static uint64_t now;
    size_t n = cse_coap_endpoint_input(ep, &sec, data, size, now += 1000, out, sizeof(out));
    if (n) {
        if (n > 1152 || cse_coap_parse(out, n, NULL, &m) != CSE_COAP_OK)
            abort();
    }
    return 0;
}
