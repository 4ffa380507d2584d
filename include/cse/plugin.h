/*
 * CSE plugin ABI — what a security plugin implements.
 *
 * A plugin is a shared object that exports exactly three symbols:
 *
 *   int cse_plugin_version(int count, const int *supported);
 *       The host offers the ABI versions it supports; the plugin returns the
 *       one it picks, or -1 to refuse (start-up then stops). A version that
 *       was not offered counts as a refusal.
 *   int cse_plugin_init(cse_plugin_t *plugin, void **userdata,
 *                       const cse_plugin_opt_t *opts, int nopts);
 *       Called once at start-up. The plugin allocates its one state struct,
 *       stores it in *userdata and registers callbacks with
 *       cse_callback_register(). Non-zero return stops start-up: the host
 *       drops the callbacks it registered and does NOT call cleanup, so a
 *       failing init frees what it allocated itself.
 *   int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts, int nopts);
 *       Called once at shutdown, after the last callback has returned.
 *
 * Options are the [plugin] keys of the CSE configuration (except `path`),
 * borrowed for the duration of init/cleanup only.
 *
 * Results: every callback returns CSE_PLUGIN_OK, CSE_PLUGIN_DENY or
 * CSE_PLUGIN_DEFER; any other value counts as DENY (fail closed, logged).
 * Callbacks of one event run in registration order; the first non-DEFER
 * result wins. If every callback defers (or none is registered),
 * AUTHENTICATE, AUTHORIZE, REGISTER_AE, PSK_LOOKUP and CERT_CHECK deny; the
 * other events are simply done.
 *
 * Ownership: every pointer in an event is borrowed for the duration of the
 * call. Outputs go into host buffers with an explicit capacity, or are
 * allocated with cse_malloc()/cse_strdup() and freed by the host.
 *
 * Concurrency: callbacks run concurrently on several threads. A plugin keeps
 * its state in the userdata struct (no globals) and protects what it shares.
 * RELOAD is never run concurrently with itself.
 *
 * Compatibility: event numbers are fixed and only appended; every event
 * struct starts with `version` and only grows at its end. A plugin reads
 * fields beyond those of its version only after checking `version`.
 */
#ifndef CSE_PLUGIN_H
#define CSE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI versions this header describes. */
#define CSE_PLUGIN_ABI_VERSION 1

/* Exported entry point names (for dlsym). */
#define CSE_PLUGIN_SYM_VERSION "cse_plugin_version"
#define CSE_PLUGIN_SYM_INIT "cse_plugin_init"
#define CSE_PLUGIN_SYM_CLEANUP "cse_plugin_cleanup"

#if defined(__GNUC__)
#define CSE_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CSE_PLUGIN_EXPORT
#endif

typedef struct cse_plugin cse_plugin_t; /* opaque handle owned by the host */

typedef struct cse_plugin_opt {
    const char *key;
    const char *value;
} cse_plugin_opt_t;

/* Callback results. */
enum cse_plugin_result {
    CSE_PLUGIN_OK = 0,
    CSE_PLUGIN_DEFER = 1,
    CSE_PLUGIN_DENY = 2,
};

/* Events: numbers are fixed forever, new ones are appended. */
enum cse_plugin_event {
    CSE_EVT_AUTHENTICATE = 1,
    CSE_EVT_AUTHORIZE = 2,
    CSE_EVT_REGISTER_AE = 3,
    CSE_EVT_DEREGISTER_AE = 4,
    CSE_EVT_PSK_LOOKUP = 5,
    CSE_EVT_CERT_CHECK = 6,
    CSE_EVT_ACCOUNTING = 7,
    CSE_EVT_RELOAD = 8,
    CSE_EVT_HTTP_ROUTE = 9,
    CSE_EVT_COUNT_ /* not an event: one past the last */
};

/* oneM2M operations (TS-0004 values). DISCOVERY is RETRIEVE with fu=1. */
enum cse_operation {
    CSE_OP_CREATE = 1,
    CSE_OP_RETRIEVE = 2,
    CSE_OP_UPDATE = 3,
    CSE_OP_DELETE = 4,
    CSE_OP_NOTIFY = 5,
    CSE_OP_DISCOVERY = 6, /* host-side marker: RETRIEVE with fu=1 */
};

/* acop bits (TS-0004 accessControlOperations). */
enum cse_acop {
    CSE_ACOP_CREATE = 1,
    CSE_ACOP_RETRIEVE = 2,
    CSE_ACOP_UPDATE = 4,
    CSE_ACOP_DELETE = 8,
    CSE_ACOP_NOTIFY = 16,
    CSE_ACOP_DISCOVERY = 32,
};

enum cse_binding {
    CSE_BINDING_HTTP = 1,
    CSE_BINDING_HTTPS = 2,
    CSE_BINDING_COAP = 3,
    CSE_BINDING_COAPS = 4,
};

/* How the connection (or request) was authenticated by the binding. */
enum cse_assoc_method {
    CSE_ASSOC_NONE = 0,
    CSE_ASSOC_TLS_PSK = 1,
    CSE_ASSOC_TLS_CERT = 2,
    CSE_ASSOC_DTLS_PSK = 3,
    CSE_ASSOC_DTLS_CERT = 4,
};

/*
 * Security context of a request, filled by the binding. `assoc_identity` is
 * the identity the (D)TLS layer proved: PSK identity, or the SAN URI the
 * CERT_CHECK event bound. Strings are NUL-terminated or NULL.
 */
typedef struct cse_security_context {
    int version; /* 1 */
    int binding; /* enum cse_binding */
    int assoc_method; /* enum cse_assoc_method */
    const char *assoc_identity; /* NULL when assoc_method == NONE */
    const char *bearer_token; /* Authorization: Bearer <t>, NULL if absent */
    const char *onem2m_tokens; /* tkns (JWS list joined by '+'), NULL if absent */
    const char *basic_user; /* HTTP Basic inside TLS only, else NULL */
    const char *basic_password;
    struct sockaddr_storage peer; /* the real source address */
    socklen_t peer_len;
    uint64_t session_id; /* 0 = no session (plain HTTP request) */
    void *reserved[8];
} cse_security_context_t;

/* AUTHENTICATE: who is this request from? */
typedef struct cse_evt_authenticate {
    int version; /* 1 */
    const cse_security_context_t *sec;
    const char *from; /* X-M2M-Origin / FR, NULL if absent */
    int operation; /* enum cse_operation */
    int resource_type; /* ty of a CREATE, else 0 */
    const char *to; /* target address as sent */
    const char *rqi;
    /* outputs */
    char *identity; /* host buffer: the authenticated originator to use */
    size_t identity_cap;
    int authenticated; /* 1 when an association or token proved the identity */
    int is_admin; /* 1 when the identity holds admin rights */
    int rsc; /* with DENY: 4000, 4106, 4107, ... */
    char *reason; /* with DENY: cse_malloc'd, freed by the host */
    /* with DENY, optional: an RFC 6750 challenge, e.g. `Bearer error="invalid_token",
     * error_description="token expired"`; cse_malloc'd, freed by the host, sent as
     * WWW-Authenticate on HTTP. Took the first reserved slot (layout unchanged). */
    char *challenge;
    void *reserved[7];
} cse_evt_authenticate_t;

/* A resource as the plugin sees it (borrowed; JSON is the full attribute
 * object with short names, e.g. {"rn":..,"ri":..,"acpi":[..],...}). */
typedef struct cse_resource_view {
    int version; /* 1 */
    const char *ri;
    const char *rn;
    const char *pi; /* parent ri, "" for the CSEBase */
    const char *path; /* structured path without leading slash, e.g. "cse-in/ae1" */
    int ty;
    const char *creator; /* cr, or NULL */
    const char *const *acpi; /* ri of linked ACPs */
    int acpi_count;
    int has_acpi; /* 0: attribute absent (inherit), 1: present (maybe empty) */
    uint64_t revision; /* changes whenever the resource changes */
    void *reserved[4];
} cse_resource_view_t;

/* AUTHORIZE: may this originator do this operation on this target? */
typedef struct cse_evt_authorize {
    int version; /* 1 */
    const cse_security_context_t *sec;
    const char *originator; /* identity from AUTHENTICATE */
    int authenticated;
    int is_admin;
    int operation; /* enum cse_operation (DISCOVERY for fu=1) */
    int create_ty; /* ty of the resource to create, 0 otherwise */
    const cse_resource_view_t *target;
    const cse_resource_view_t *parent; /* NULL for the CSEBase */
    const char *rqi;
    int updates_acpi; /* UPDATE whose body contains acpi */
    int updates_only_acpi;
    /* outputs */
    int rsc; /* with DENY: normally 4103 */
    char *reason; /* cse_malloc'd, freed by the host */
    char *challenge; /* with DENY, optional: as in cse_evt_authenticate_t */
    void *reserved[7];
} cse_evt_authorize_t;

/* REGISTER_AE: AE CREATE, before the resource exists. */
typedef struct cse_evt_register_ae {
    int version; /* 1 */
    const cse_security_context_t *sec;
    const char *from; /* as sent (may be NULL, "C", "S", or a full AE-ID) */
    const char *aei; /* the AE-ID the CSE is about to assign */
    const char *api;
    const char *rn;
    int authenticated;
    int rsc; /* with DENY: 4126, 4106, ... */
    char *reason;
    void *reserved[8];
} cse_evt_register_ae_t;

/* DEREGISTER_AE: after an AE was deleted (or expired). Result ignored. */
typedef struct cse_evt_deregister_ae {
    int version; /* 1 */
    const char *aei;
    const char *reason; /* "delete", "expired" */
    void *reserved[4];
} cse_evt_deregister_ae_t;

/* PSK_LOOKUP: the (D)TLS layer needs the key of a PSK identity. */
typedef struct cse_evt_psk_lookup {
    int version; /* 1, or 2 with the fields marked v2 */
    int binding;
    const char *identity; /* psk_identity as received */
    const struct sockaddr *peer;
    socklen_t peer_len;
    unsigned char *key; /* host buffer */
    size_t key_cap;
    size_t key_len; /* output */
    int nonblocking; /* v2: answer only from what is at hand (memory, caches) */
    int would_block; /* v2 output: with DEFER, the answer needs a remote lookup; the host
                      * asks again with nonblocking = 0 on a thread of its own */
    void *reserved[3];
} cse_evt_psk_lookup_t;

/* CERT_CHECK: a client certificate chained to the CA; bind it to an ID. */
typedef struct cse_evt_cert_check {
    int version; /* 1 */
    int binding;
    const char *san_uri; /* first URI subjectAltName, or NULL */
    const unsigned char *sha256; /* fingerprint of the DER certificate (32 bytes) */
    const struct sockaddr *peer;
    socklen_t peer_len;
    char *identity; /* host buffer: the identity to bind */
    size_t identity_cap;
    void *reserved[4];
} cse_evt_cert_check_t;

enum cse_accounting_kind {
    CSE_ACCT_REQUEST = 1, /* one per completed request */
    CSE_ACCT_SESSION_START = 2,
    CSE_ACCT_SESSION_STOP = 3,
};

/* ACCOUNTING: after a response was sent. Must not block. Result ignored. */
typedef struct cse_evt_accounting {
    int version; /* 2 (fields marked v2 are read only when version >= 2) */
    int kind; /* enum cse_accounting_kind */
    const cse_security_context_t *sec;
    const char *originator;
    const char *authn_method; /* short text for the audit line */
    int operation;
    const char *to;
    const char *rqi;
    int rsc;
    int authorized; /* the AUTHORIZE decision, -1 if not reached */
    const char *decision_reason; /* matching rule or denial reason */
    uint64_t bytes_in, bytes_out;
    /* v2: the AE-ID a successful AE registration (CREATE ty 2, rsc 2001) was
     * assigned, whatever From said ("C", "S", empty); NULL otherwise. Took the
     * first reserved slot (layout unchanged). */
    const char *aei;
    void *reserved[7];
} cse_evt_accounting_t;

/* RELOAD: SIGHUP. The plugin re-reads its policy; DENY keeps the old one. */
typedef struct cse_evt_reload {
    int version; /* 1 */
    char *reason; /* with DENY: cse_malloc'd */
    void *reserved[4];
} cse_evt_reload_t;

/* HTTP_ROUTE: a plugin-owned REST endpoint (e.g. /cssf/v1/...). The CoAP
 * binding raises it too, for POST /authz-info only (RFC 9200 token upload;
 * sec->binding COAP/COAPS): status 201 becomes 2.01, 4xx becomes 4.xx. */
typedef struct cse_evt_http_route {
    int version; /* 2 (fields marked v2 are read only when version >= 2) */
    const cse_security_context_t *sec;
    const char *method; /* "GET", "POST", ... */
    const char *path; /* request path including the prefix */
    const char *query; /* raw query string or NULL */
    const char *body;
    size_t body_len;
    const char *content_type;
    /* outputs: DEFER = not mine */
    int status; /* HTTP status */
    char *response_body; /* cse_malloc'd, freed by the host */
    char response_content_type[64];
    const char *origin; /* v2: X-M2M-Origin as sent, NULL if absent */
    void *reserved[7];
} cse_evt_http_route_t;

typedef int (*cse_plugin_callback_fn)(int event, void *event_data, void *userdata);

/* Plugin entry points (declared here so plugins get type checking). */
CSE_PLUGIN_EXPORT int cse_plugin_version(int count, const int *supported);
CSE_PLUGIN_EXPORT int cse_plugin_init(cse_plugin_t *plugin, void **userdata,
                                      const cse_plugin_opt_t *opts, int nopts);
CSE_PLUGIN_EXPORT int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts,
                                         int nopts);

#ifdef __cplusplus
}
#endif
#endif
