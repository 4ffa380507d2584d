/*
 * AAA for the CSSF plugin: what the plugin's callbacks ask of RADIUS.
 * - PSKs from AAA: a PSK identity is looked up with an Access-Request
 *   (User-Name = identity, User-Password = radius_psk_password); the key is
 *   the Tunnel-Password of the Access-Accept (RFC 2868).
 * - AAA-backed credentials: user/password pairs (HTTP Basic inside TLS) are
 *   checked with PAP.
 * - Accounting: the CSE's sessions and AE registrations become Start /
 *   Interim-Update / Stop records in the durable queue (acct_queue.h,
 *   acct_session.h, acct_ae.h).
 * Positive answers are cached for radius_cache_ttl seconds (bounded by the
 * Access-Accept's Session-Timeout); nothing else is. Fail closed: without
 * an authentic Accept (or a fresh cached one) the answer is no.
 * Owns the RADIUS client, the caches, the session table and the queue.
 */
#ifndef CSSF_AAA_AAA_H
#define CSSF_AAA_AAA_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cse/plugin.h"
#include "plugin/aaa/aaa_config.h"
#include "plugin/aaa/acct_ae.h"
#include "plugin/aaa/acct_queue.h"
#include "plugin/aaa/radius_client.h"

typedef struct cssf_aaa cssf_aaa_t;

/*
 * Creates the AAA state. nas_default names this NAS when no
 * radius_nas_identifier is set (the CSE's ID). Returns 0 and *out (NULL
 * when no RADIUS server is configured: AAA off), or -1 with err.
 */
int cssf_aaa_create(const cssf_aaa_config_t *cfg, const char *nas_default, cssf_aaa_t **out,
                    char *err, size_t err_cap);

/* Stops open sessions (Stop records are queued), closes the queue, wipes
 * the caches and secrets. NULL is fine. */
void cssf_aaa_destroy(cssf_aaa_t *a);

int cssf_aaa_psk_enabled(const cssf_aaa_t *a);
int cssf_aaa_basic_enabled(const cssf_aaa_t *a);
int cssf_aaa_acct_enabled(const cssf_aaa_t *a);

/*
 * The PSK of identity (peer: the client's address, for Calling-Station-Id,
 * may be NULL). Returns 0 with key[0..*len), or -1 with a reason (no
 * secret in it): rejected, no Tunnel-Password, not hex, too long, servers
 * unreachable.
 */
int cssf_aaa_psk_lookup(cssf_aaa_t *a, const char *identity, const struct sockaddr *peer,
                        uint8_t *key, size_t cap, size_t *len, char *reason, size_t reason_cap);

/* Checks user/password with RADIUS (PAP). Returns 1 accepted, 0 denied
 * with a reason. A password changed on the server stays usable here for
 * at most radius_cache_ttl seconds. */
int cssf_aaa_check_password(cssf_aaa_t *a, const char *user, const char *password,
                            const struct sockaddr *peer, char *reason, size_t reason_cap);

/* Session accounting (no-ops when accounting is off or sid is 0). Never
 * block on the network. */
void cssf_aaa_session_start(cssf_aaa_t *a, uint64_t sid, const char *user,
                            const struct sockaddr *peer);
void cssf_aaa_session_traffic(cssf_aaa_t *a, uint64_t sid, uint64_t bytes_in, uint64_t bytes_out);
void cssf_aaa_session_stop(cssf_aaa_t *a, uint64_t sid);

/*
 * PSK_LOOKUP glue: fills ev->key from RADIUS. Returns CSE_PLUGIN_OK with
 * the key, or CSE_PLUGIN_DEFER (another source may know the identity; if
 * none does, the host refuses the handshake) with reason set when RADIUS
 * was asked and said no. A version 2 event with nonblocking set gets only
 * a cached key; otherwise DEFER with ev->would_block = 1, and the host asks
 * again off its event loop.
 */
int cssf_aaa_on_psk_lookup(cssf_aaa_t *a, cse_evt_psk_lookup_t *ev, char *reason,
                           size_t reason_cap);

/* ACCOUNTING glue: session start/stop and per-request counters (of the
 * (D)TLS session, and of the AE session of the originator). The session's
 * user is the association identity, else the originator. A registration's
 * own request is counted by cssf_aaa_ae_register, not here. */
void cssf_aaa_on_accounting(cssf_aaa_t *a, const cse_evt_accounting_t *ev);

/* AE registration accounting (acct_ae.h; no-ops when accounting is off).
 * An AE registered (the ACCOUNTING event's v2 aei): Start, with user (the
 * registration's authenticated identity, NULL: the AE-ID) as User-Name and
 * this request's bytes counted. */
void cssf_aaa_ae_register(cssf_aaa_t *a, const char *aei, const char *user, uint64_t bytes_in,
                          uint64_t bytes_out);

/* DEREGISTER_AE: Stop with Session-Timeout when reason is "expired", else
 * User-Request. */
void cssf_aaa_ae_deregister(cssf_aaa_t *a, const char *aei, const char *reason);

/* Called once the plugin receives DEREGISTER_AE (end of init): from the
 * next tick on, sessions whose AE is gone (asked with exists) are stopped,
 * with Session-Timeout when the store is persistent (only expiry removes an
 * AE unseen), else NAS-Reboot. persistent = 0 also ends open AE sessions
 * with NAS-Reboot at shutdown, as the AEs do not survive it. */
void cssf_aaa_ae_arm(cssf_aaa_t *a, int persistent, cssf_acct_ae_exists_fn exists, void *ctx);

/* Open AE sessions (0 when accounting is off). */
size_t cssf_aaa_ae_open(cssf_aaa_t *a);

/* The RADIUS client (for health reports); never NULL for a created a. */
cssf_radius_client_t *cssf_aaa_radius(cssf_aaa_t *a);

/* Queue statistics; 0, or -1 when accounting is off. */
int cssf_aaa_acct_stats(cssf_aaa_t *a, cssf_acct_queue_stats_t *out);

/* Sends waiting accounting records now and waits up to timeout_ms for the
 * queue to empty. 0 when empty; -1 otherwise or when accounting is off. */
int cssf_aaa_acct_flush(cssf_aaa_t *a, unsigned timeout_ms);

/* --- shared secrets ----------------------------------------------------------
 * Each configured server's shared secret, and the PSK-lookup password
 * (named CSSF_AAA_PSK_PASSWORD_NAME), come from a sealed store when it has
 * one (see plugin/data/radius_secrets.h), else from the plaintext of the
 * configuration; with neither, requests to that server (or PSK lookups)
 * fail closed with a reason naming it. */

#define CSSF_AAA_PSK_PASSWORD_NAME "psk-password"

enum {
    CSSF_AAA_SECRET_NONE = 0,
    CSSF_AAA_SECRET_SEALED = 1,
    CSSF_AAA_SECRET_INLINE = 2, /* host:port:secret, radius_psk_password */
    CSSF_AAA_SECRET_FILE = 3,   /* radius_secret_file */
};

/* "none", "sealed", "inline", "file" (static). */
const char *cssf_aaa_secret_source_name(int source);

/* The sealed secret of name: 1 with out[0..*len) (at most cap bytes), 0
 * when there is none, -1 when the store cannot tell. */
typedef int (*cssf_aaa_sealed_fn)(void *ctx, const char *name, uint8_t *out, size_t cap,
                                  size_t *len);

/*
 * Puts in use, for every configured server and the PSK-lookup password
 * (or only the one named only, when not NULL), the sealed secret fn finds,
 * else the configuration's plaintext, else none. A name fn cannot answer
 * for keeps what it has. With warn, logs one WARNING per name left on
 * plaintext (how to seal it) or without a secret; never a secret. Returns
 * the number of names resolved. a NULL is fine (0).
 */
int cssf_aaa_resolve_secrets(cssf_aaa_t *a, cssf_aaa_sealed_fn fn, void *ctx, const char *only,
                             int warn);

/* What each name uses now (no secret in it). */
typedef struct cssf_aaa_secret_info {
    char name[216];
    int auth, acct; /* a server of that kind; both 0 for the PSK-lookup password */
    int source;     /* CSSF_AAA_SECRET_* */
} cssf_aaa_secret_info_t;

/* Writes up to cap entries, in configuration order; returns how many. */
size_t cssf_aaa_secret_sources(cssf_aaa_t *a, cssf_aaa_secret_info_t *out, size_t cap);

/* "192.0.2.1" / "2001:db8::1" for peer into buf ("" if NULL or unknown). */
void cssf_aaa_peer_text(const struct sockaddr *peer, char *buf, size_t cap);

#endif
