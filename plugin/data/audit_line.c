/* Audit line formatting (see audit_line.h). */
#include "plugin/data/audit_line.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
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

/* A string member, or null when absent or empty (json_string refuses bad
 * UTF-8: such text is kept as null rather than dropping the line). */
static void set_str(json_t *o, const char *key, const char *value) {
    json_t *v = value && *value ? json_string(value) : NULL;
    json_object_set_new(o, key, v ? v : json_null());
}

static char *dump(json_t *o) {
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

char *cssf_audit_line_format(const cssf_audit_record_t *r) {
    char when[48], peer[INET6_ADDRSTRLEN + 16];
    json_t *o = json_object();
    if (!o)
        return NULL;
    now_text(when, sizeof(when));
    cssf_audit_peer_text(r->peer, peer, sizeof(peer));
    set_str(o, "time", when);
    set_str(o, "event", r->event);
    set_str(o, "rqi", r->rqi);
    set_str(o, "binding", cssf_audit_binding_name(r->binding));
    set_str(o, "peer", peer[0] ? peer : NULL);
    set_str(o, "identity", r->identity);
    set_str(o, "method", r->method);
    set_str(o, "from", r->from);
    set_str(o, "target", r->target);
    set_str(o, "op", cssf_audit_operation_name(r->operation));
    set_str(o, "decision", r->decision);
    json_object_set_new(o, "rsc", r->rsc ? json_integer(r->rsc) : json_null());
    if (r->acp)
        set_str(o, "acp", r->acp);
    if (r->rule)
        set_str(o, "rule", r->rule);
    if (r->reason)
        set_str(o, "reason", r->reason);
    if (r->trusted_claim)
        json_object_set_new(o, "trusted_claim", json_true());
    return dump(o);
}

char *cssf_audit_line_dropped(uint64_t dropped, uint64_t total) {
    char when[48];
    now_text(when, sizeof(when));
    return dump(json_pack("{s:s, s:s, s:I, s:I}", "time", when, "event", "audit_dropped", "dropped",
                          (json_int_t)dropped, "total", (json_int_t)total));
}
