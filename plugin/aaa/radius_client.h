/*
 * CSSF RADIUS client: authentication (RFC 2865, PAP), accounting
 * (RFC 2866), server status (RFC 5997) and Tunnel-Password (RFC 2868),
 * over UDP to an ordered list of servers with retransmission, failover and
 * dead-server detection.
 *
 * Every answer is checked before it is believed: identifier, Response
 * Authenticator and a Message-Authenticator (RFC 3579) that must be
 * present and correct; anything else is dropped as forged or malformed
 * (BlastRADIUS, CVE-2024-3596). Every request carries a
 * Message-Authenticator. The client fails closed: no authentic answer means
 * TIMEOUT or INVALID, never ACCEPT.
 *
 * Thread-safe: any number of threads may call authenticate/account/status
 * on one client at once. Each call uses its own UDP socket (own source
 * port, own identifier space), so calls never wait on each other and a
 * response can only ever reach the call that sent the request. A
 * pipelined accounting call shares one socket per server among its own
 * requests only.
 * A background thread probes dead servers with Status-Server and revives
 * them. Shared secrets are copied at create, may be swapped while requests
 * run (cssf_radius_set_secret; a request uses the secret it started with)
 * and are wiped at destroy; they never appear in logs, reasons or status
 * output. A server without a secret is skipped: requests that reach no
 * other server fail closed (ERROR) with the reason "no shared secret for
 * <host:port>; ...".
 */
#ifndef CSSF_AAA_RADIUS_CLIENT_H
#define CSSF_AAA_RADIUS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#define CSSF_RADIUS_CONFIG_VERSION 1
#define CSSF_RADIUS_MAX_SERVERS 8

typedef struct cssf_radius_client cssf_radius_client_t;

/* Outcome of one operation. */
typedef enum cssf_radius_result {
    CSSF_RADIUS_ACCEPT = 0,    /* Access-Accept; for account/status: acknowledged */
    CSSF_RADIUS_REJECT = 1,    /* Access-Reject */
    CSSF_RADIUS_CHALLENGE = 2, /* Access-Challenge: not continued; callers deny */
    CSSF_RADIUS_TIMEOUT = 3,   /* no server answered, or every server is marked dead */
    CSSF_RADIUS_INVALID = 4,   /* only forged/malformed answers (or a wrong shared secret) */
    CSSF_RADIUS_ERROR = 5,     /* local failure: bad arguments, no socket */
} cssf_radius_result_t;

/* "ACCEPT", "REJECT", ... (static). */
const char *cssf_radius_result_name(cssf_radius_result_t r);

/*
 * Client configuration. Strings are borrowed for the duration of
 * cssf_radius_create only. A server is "host:port:secret": host an IPv4
 * literal, a bracketed IPv6 literal ("[::1]:1812:s3cret") or a name
 * resolved once at create; the secret is everything after the second
 * colon. "host:port" alone is a server without a secret yet (see
 * cssf_radius_set_secret). Servers are tried in the order given. Zero
 * numbers take defaults.
 */
typedef struct cssf_radius_config {
    int version; /* CSSF_RADIUS_CONFIG_VERSION */
    const char *auth_servers[CSSF_RADIUS_MAX_SERVERS];
    size_t n_auth;
    const char *acct_servers[CSSF_RADIUS_MAX_SERVERS];
    size_t n_acct;
    const char *nas_identifier; /* NAS-Identifier; required unless nas_ip_address is set */
    const char *nas_ip_address; /* optional: NAS-IP-Address or NAS-IPv6-Address literal */
    unsigned timeout_ms;        /* wait for the first answer (default 1000); doubles per retry */
    unsigned retries;           /* retransmissions per server (default 2) */
    unsigned dead_after;        /* consecutive unanswered requests before a server is dead (3) */
    unsigned probe_interval_ms; /* Status-Server probe period of dead servers (default 5000) */
    /* Accounting-Response without Message-Authenticator: refused unless
     * set (RFC 2869 predates its use in accounting; FreeRADIUS adds it
     * when configured to). The Response Authenticator is always checked. */
    int acct_allow_missing_ma;
} cssf_radius_config_t;

/* Fills cfg with version and defaults (no servers). */
void cssf_radius_config_init(cssf_radius_config_t *cfg);

/*
 * Creates a client and starts its prober thread. Returns 0 and sets *out
 * (free with cssf_radius_destroy), or -1 with a reason in err (never the
 * secret).
 */
int cssf_radius_create(const cssf_radius_config_t *cfg, cssf_radius_client_t **out, char *err,
                       size_t err_cap);

/* Stops the prober, wipes the secrets, frees c. No call may be in flight. */
void cssf_radius_destroy(cssf_radius_client_t *c);

#define CSSF_RADIUS_TEXT_MAX 254
#define CSSF_RADIUS_REASON_MAX 160

/* What an answer said. Fixed buffers, no allocation. Holds a secret
 * (tunnel_password): wipe it with cssf_radius_reply_clear when done. */
typedef struct cssf_radius_reply {
    int code;                            /* RADIUS code of the answer believed, 0 if none */
    int server;                          /* index of the answering server in its list, -1 if none */
    char reason[CSSF_RADIUS_REASON_MAX]; /* why not ACCEPT, or "" */
    char reply_message[CSSF_RADIUS_TEXT_MAX]; /* first Reply-Message, control bytes as '?' */
    char filter_id[CSSF_RADIUS_TEXT_MAX];     /* first Filter-Id */
    uint32_t session_timeout;                 /* Session-Timeout seconds, 0 if absent */
    uint8_t class_attr[253];                  /* Class, echoed in accounting (RFC 2865 §5.25) */
    size_t class_len;
    int has_tunnel_password;
    uint8_t tunnel_tag;
    uint8_t tunnel_password[253]; /* decrypted (RFC 2868 §3.5), e.g. a device PSK */
    size_t tunnel_password_len;
} cssf_radius_reply_t;

/* Wipes every byte of r (including the tunnel password). */
void cssf_radius_reply_clear(cssf_radius_reply_t *r);

/*
 * PAP authentication of user/password (password: pwlen bytes, at most
 * 128). calling_station_id (optional) names the peer, e.g. its address.
 * Tries each live authentication server in order until one gives an
 * authentic answer. Fills reply (always; reply->reason explains a non
 * ACCEPT). Attributes are decoded only from an authentic Access-Accept.
 * Blocks up to about timeout_ms * (2^(retries+1) - 1) per live server.
 */
cssf_radius_result_t cssf_radius_authenticate(cssf_radius_client_t *c, const char *user,
                                              const uint8_t *password, size_t pwlen,
                                              const char *calling_station_id,
                                              cssf_radius_reply_t *reply);

enum {
    CSSF_RADIUS_ACCT_START = 1,
    CSSF_RADIUS_ACCT_STOP = 2,
    CSSF_RADIUS_ACCT_INTERIM = 3,
};

/* One accounting record (RFC 2866). Strings borrowed for the call. */
typedef struct cssf_radius_acct {
    int status_type;                /* CSSF_RADIUS_ACCT_START / _INTERIM / _STOP */
    const char *session_id;         /* Acct-Session-Id, required */
    const char *user_name;          /* optional */
    const char *calling_station_id; /* optional */
    const uint8_t *class_attr;      /* optional Class from the Access-Accept */
    size_t class_len;
    uint32_t session_time; /* seconds (Interim, Stop) */
    uint64_t input_octets; /* above 2^32 the Gigawords attributes carry the rest */
    uint64_t output_octets;
    uint32_t input_packets;
    uint32_t output_packets;
    uint32_t terminate_cause; /* Stop: Acct-Terminate-Cause (RFC 2866 §5.10), 0 = absent */
    uint32_t delay_time;      /* Acct-Delay-Time: seconds the record waited before sending */
} cssf_radius_acct_t;

/* 1 if rec can be encoded: a known status type, a session id, strings of
 * 1..253 bytes where present, Class of at most 253 bytes. */
int cssf_radius_acct_valid(const cssf_radius_acct_t *rec);

/* Sends one accounting record to the accounting servers (failover in
 * order). ACCEPT means an authentic Accounting-Response arrived: only then
 * may the caller drop the record. reply may be NULL. */
cssf_radius_result_t cssf_radius_account(cssf_radius_client_t *c, const cssf_radius_acct_t *rec,
                                         cssf_radius_reply_t *reply);

/*
 * Sets (slen 1..128 bytes, no NUL) or removes (slen 0) the shared secret
 * of every server named server ("127.0.0.1:1812", "[::1]:1812": host as
 * configured, port in decimal), authentication and accounting alike.
 * Requests already running finish with the secret they started with.
 * Returns the number of servers changed (0: no such server), or -1 on bad
 * arguments.
 */
int cssf_radius_set_secret(cssf_radius_client_t *c, const char *server, const uint8_t *secret,
                           size_t slen);

/* A configured server, without its secret. */
typedef struct cssf_radius_server_info {
    char name[216]; /* "127.0.0.1:1812" */
    int acct;       /* 0: authentication server, 1: accounting server */
    int has_secret;
} cssf_radius_server_info_t;

/* Writes up to cap servers (auth servers first); returns how many. */
size_t cssf_radius_servers(cssf_radius_client_t *c, cssf_radius_server_info_t *out, size_t cap);

/*
 * Pipelined accounting: sends the n records (1..CSSF_RADIUS_ACCT_WINDOW_MAX)
 * at once, all in flight together on one socket per server with distinct
 * identifiers. Each request is its own exchange: its answer is matched by
 * identifier and verified as in cssf_radius_account, and it has its own
 * retransmissions, failover to the next server, and failure count towards
 * dead marking. results[i] is what cssf_radius_account would have said for
 * recs[i]: only ACCEPT means acknowledged. Returns the number acknowledged,
 * or -1 for bad arguments. reason (may be NULL) gets why the first record
 * that was not acknowledged failed, or "".
 */
#define CSSF_RADIUS_ACCT_WINDOW_MAX 256

int cssf_radius_account_many(cssf_radius_client_t *c, const cssf_radius_acct_t *const *recs,
                             size_t n, cssf_radius_result_t *results, char *reason,
                             size_t reason_cap);

/* Health of one server after a probe. */
typedef struct cssf_radius_server_status {
    char name[224]; /* "auth 127.0.0.1:1812" (no secret) */
    int acct;       /* 0: authentication server, 1: accounting server */
    int alive;
    cssf_radius_result_t result; /* of this probe */
    unsigned rtt_ms;
    char reason[CSSF_RADIUS_REASON_MAX];
} cssf_radius_server_status_t;

/*
 * Probes every server now with Status-Server (RFC 5997), updates their
 * health, and writes up to cap entries (auth servers first). Returns the
 * number of servers that answered authentically, or -1 on bad arguments.
 */
int cssf_radius_status(cssf_radius_client_t *c, cssf_radius_server_status_t *out, size_t cap,
                       size_t *n_out);

#endif
