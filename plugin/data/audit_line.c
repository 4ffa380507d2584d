/* Audit line formatting (see audit_line.h). */
#include "plugin/data/audit_line.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cse/plugin.h"

const char *cssf_audit_binding_name(int binding) {
    switch (binding) {
    case CSE_BINDING_HTTP:
        return "http";
    case CSE_BINDING_HTTPS:
        return "https";
    case CSE_BINDING_COAP:
        return "coap";
    case CSE_BINDING_COAPS:
        return "coaps";
    default:
        return NULL;
    }
}

const char *cssf_audit_operation_name(int operation) {
    static const char *const names[] = {NULL,     "create", "retrieve", "update",
                                        "delete", "notify", "discovery"};
    return operation >= 1 && operation <= CSE_OP_DISCOVERY ? names[operation] : NULL;
}

const char *cssf_audit_method_name(int assoc_method) {
    switch (assoc_method) {
    case CSE_ASSOC_TLS_PSK:
        return "tls-psk";
    case CSE_ASSOC_TLS_CERT:
        return "tls-cert";
    case CSE_ASSOC_DTLS_PSK:
        return "dtls-psk";
    case CSE_ASSOC_DTLS_CERT:
        return "dtls-cert";
    default:
        return "none";
    }
}

void cssf_audit_peer_text(const struct sockaddr_storage *peer, char *buf, size_t cap) {
    char ip[INET6_ADDRSTRLEN];
    buf[0] = '\0';
    if (!peer)
        return;
    if (peer->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)peer;
        if (inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip)))
            snprintf(buf, cap, "%s:%u", ip, ntohs(in->sin_port));
    } else if (peer->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)peer;
        if (inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip)))
            snprintf(buf, cap, "[%s]:%u", ip, ntohs(in6->sin6_port));
    }
}

static void now_text(char *buf, size_t cap) {
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%.20s.%06dZ", base, (int)(ts.tv_nsec / 1000) % 1000000);
}

/* The line under construction: a growing buffer (a decision's line is
 * written without building a JSON tree: it is on every request's path). */
typedef struct line_buf {
    char *p;
    size_t len, cap;
    int failed;
} line_buf_t;

static void put(line_buf_t *b, const char *s, size_t n) {
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void put_str(line_buf_t *b, const char *s) {
    put(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_len(const unsigned char *s) {
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (!n || c > 0xf4)
        return 0;
    unsigned cp = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static int utf8_valid(const char *s) {
    for (const unsigned char *u = (const unsigned char *)s; *u;) {
        size_t n = utf8_len(u);
        if (!n)
            return 0;
        u += n;
    }
    return 1;
}

/* "key":"escaped value", or "key":null when absent, empty or not UTF-8
 * (such text is kept as null rather than dropping the line). */
static void member(line_buf_t *b, const char *key, const char *value) {
    put_str(b, b->len > 1 ? ",\"" : "\"");
    put_str(b, key);
    if (!value || !*value || !utf8_valid(value)) {
        put_str(b, "\":null");
        return;
    }
    put_str(b, "\":\"");
    const char *run = value;
    for (const char *c = value; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u >= 0x20 && u != '"' && u != '\\')
            continue;
        put(b, run, (size_t)(c - run));
        char esc[8];
        switch (u) {
        case '"':
            put_str(b, "\\\"");
            break;
        case '\\':
            put_str(b, "\\\\");
            break;
        case '\n':
            put_str(b, "\\n");
            break;
        case '\r':
            put_str(b, "\\r");
            break;
        case '\t':
            put_str(b, "\\t");
            break;
        case '\b':
            put_str(b, "\\b");
            break;
        case '\f':
            put_str(b, "\\f");
            break;
        default:
            snprintf(esc, sizeof(esc), "\\u%04x", u);
            put_str(b, esc);
        }
        run = c + 1;
    }
    put_str(b, run);
    put_str(b, "\"");
}

static void member_raw(line_buf_t *b, const char *key, const char *raw) {
    put_str(b, ",\"");
    put_str(b, key);
    put_str(b, "\":");
    put_str(b, raw);
}

char *cssf_audit_line_format(const cssf_audit_record_t *r) {
    char when[48], peer[INET6_ADDRSTRLEN + 16], rsc[16] = "null";
    line_buf_t b = {0};
    now_text(when, sizeof(when));
    cssf_audit_peer_text(r->peer, peer, sizeof(peer));
    put_str(&b, "{");
    member(&b, "time", when);
    member(&b, "event", r->event);
    member(&b, "rqi", r->rqi);
    member(&b, "binding", cssf_audit_binding_name(r->binding));
    member(&b, "peer", peer);
    member(&b, "identity", r->identity);
    member(&b, "method", r->method);
    member(&b, "from", r->from);
    member(&b, "target", r->target);
    member(&b, "op", cssf_audit_operation_name(r->operation));
    member(&b, "decision", r->decision);
    if (r->rsc)
        snprintf(rsc, sizeof(rsc), "%d", r->rsc);
    member_raw(&b, "rsc", rsc);
    if (r->acp)
        member(&b, "acp", r->acp);
    if (r->rule)
        member(&b, "rule", r->rule);
    if (r->reason)
        member(&b, "reason", r->reason);
    if (r->trusted_claim)
        member_raw(&b, "trusted_claim", "true");
    put_str(&b, "}");
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

char *cssf_audit_line_dropped(uint64_t dropped, uint64_t total) {
    char when[48];
    now_text(when, sizeof(when));
    char *line = malloc(160);
    if (line)
        snprintf(line, 160,
                 "{\"time\":\"%s\",\"event\":\"audit_dropped\",\"dropped\":%llu,\"total\":%llu}",
                 when, (unsigned long long)dropped, (unsigned long long)total);
    return line;
}
