/*
 * libFuzzer target for the HTTP → request translation (cse/http/http_request.c).
 * Input layout, lines separated by '\n':
 *   flags byte ('T' = TLS connection, anything else = plain), method, path,
 *   "Name: value" header lines, an empty line, "key=value" (or "key") query
 *   lines, an empty line, then the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cse/http/http_request.h"

#define MAX_ITEMS 64

typedef struct kv {
    const char *k[MAX_ITEMS];
    const char *v[MAX_ITEMS];
    int n;
} kv_t;

static const char *header(void *ctx, const char *name) {
    kv_t *h = ctx;
    for (int i = 0; i < h->n; i++)
        if (strcasecmp(h->k[i], name) == 0)
            return h->v[i];
    return NULL;
}

static void args(void *ctx, cse_http_arg_fn fn, void *cls) {
    kv_t *a = ctx;
    for (int i = 0; i < a->n; i++)
        if (fn(cls, a->k[i], a->v[i]))
            return;
}

/* Cuts the next line out of *p (NUL-terminating it); NULL at the end. */
static char *next_line(char **p, char *end) {
    if (*p >= end)
        return NULL;
    char *line = *p;
    char *nl = memchr(line, '\n', (size_t)(end - line));
    if (!nl)
        nl = end;
    *nl = '\0';
    *p = nl + 1;
    return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *p = buf, *end = buf + size;
    kv_t hdr = {.n = 0}, arg = {.n = 0};

    char *flags = next_line(&p, end);
    char *method = next_line(&p, end);
    char *path = next_line(&p, end);
    char *line;
    while ((line = next_line(&p, end)) && *line && hdr.n < MAX_ITEMS) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        hdr.k[hdr.n] = line;
        hdr.v[hdr.n++] = colon[1] == ' ' ? colon + 2 : colon + 1;
    }
    while ((line = next_line(&p, end)) && *line && arg.n < MAX_ITEMS) {
        char *eq = strchr(line, '=');
        if (eq)
            *eq = '\0';
        arg.k[arg.n] = line;
        arg.v[arg.n++] = eq ? eq + 1 : NULL;
    }
    char cred[256];
    cse_http_input_t in = {
        .method = method ? method : "",
        .path = path ? path : "",
        .header = header,
        .header_ctx = &hdr,
        .args = args,
        .args_ctx = &arg,
        .body = p < end ? p : NULL,
        .body_len = p < end ? (size_t)(end - p) : 0,
        .tls = flags && flags[0] == 'T',
        .cred_buf = cred,
        .cred_cap = sizeof(cred),
    };
    cse_request_t req;
    cse_http_error_t err;
    cse_http_request_parse(&in, &req, &err);
    cse_request_clear(&req);
    free(buf);
    return 0;
}
