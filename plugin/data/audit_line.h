/*
 * Formats audit lines: one compact JSON object per decision. Pure
 * functions (apart from the clock); the result is malloc'd for the queue.
 * Secrets never reach this layer: the record has no field for tokens,
 * keys or passwords.
 */
#ifndef CSSF_DATA_AUDIT_LINE_H
#define CSSF_DATA_AUDIT_LINE_H

#include <stdint.h>
#include <sys/socket.h>

typedef struct cssf_audit_record {
    const char *event; /* "request", "authenticate", "authorize", "register", "reload" */
    const char *rqi;
    int binding;                         /* enum cse_binding, 0 = not applicable */
    const struct sockaddr_storage *peer; /* NULL or family 0 = unknown */
    const char *identity;                /* authenticated identity (association), NULL = none */
    const char *method;                  /* authentication method, e.g. "none", "dtls-psk" */
    const char *from;                    /* originator */
    const char *target;
    int operation;        /* enum cse_operation, 0 = not applicable */
    const char *decision; /* "permit", "deny", "not-reached" */
    int rsc;              /* 0 = not applicable */
    const char *acp;      /* matching ACP */
    const char *rule;     /* matching rule */
    const char *reason;   /* denial reason or other explanation */
    int trusted_claim;    /* 1: admin rights from a claimed originator */
} cssf_audit_record_t;

/* The record as one JSON line (no newline), malloc'd; NULL if out of memory. */
char *cssf_audit_line_format(const cssf_audit_record_t *r);

/* The warning line for lines lost to a full queue. */
char *cssf_audit_line_dropped(uint64_t dropped, uint64_t total);

/* "127.0.0.1:5683", "[::1]:8080"; "" when unknown. */
void cssf_audit_peer_text(const struct sockaddr_storage *peer, char *buf, size_t cap);

/* Short names used in lines and logs. */
const char *cssf_audit_binding_name(int binding);
const char *cssf_audit_operation_name(int operation);
const char *cssf_audit_method_name(int assoc_method);

#endif
