/*
 * The plugin's radius_* options (the [plugin] section of the CSE's INI
 * file, see docs/radius.md), parsed into one struct that owns its strings.
 */
#ifndef CSSF_AAA_AAA_CONFIG_H
#define CSSF_AAA_AAA_CONFIG_H

#include <stddef.h>

#include "cse/plugin.h"
#include "plugin/aaa/radius_client.h"

enum { CSSF_AAA_PSK_HEX = 0, CSSF_AAA_PSK_RAW = 1 };

typedef struct cssf_aaa_config {
    /* "host:port" or "host:port:secret" (whitespace-separated lists) */
    char *auth_servers[CSSF_RADIUS_MAX_SERVERS];
    size_t n_auth;
    char *acct_servers[CSSF_RADIUS_MAX_SERVERS];
    size_t n_acct;
    char *secret; /* from radius_secret_file: for servers given without one */
    /* Secrets here are plaintext at rest: a secret sealed in the registry
     * for the same server (cssfctl radius set-secret) wins over them. */
    char *nas_identifier; /* NULL: the hosting CSE's ID */
    char *nas_ip;
    unsigned timeout_ms, retries, dead_after, probe_ms; /* 0: client defaults */
    int retries_set;                                    /* radius_retries given (0 is valid) */
    int acct_allow_missing_ma;
    char *acct_queue;      /* SQLite file of the accounting queue */
    unsigned acct_interim; /* seconds between Interim-Updates, 0 = none (default 300) */
    unsigned cache_ttl;    /* seconds a positive answer is reused (default 300, 0 = never) */
    int psk;               /* PSK_LOOKUP asks RADIUS (Tunnel-Password) */
    char *psk_password;    /* User-Password of a PSK lookup */
    int psk_format;        /* CSSF_AAA_PSK_HEX (default) or CSSF_AAA_PSK_RAW */
    int basic;             /* HTTP Basic credentials inside TLS are checked by RADIUS */
} cssf_aaa_config_t;

/* Defaults, no servers (RADIUS off). */
void cssf_aaa_config_init(cssf_aaa_config_t *cfg);

/*
 * Takes one option. Returns 1 if key is a radius_* key and value is good,
 * 0 if key is not ours (the caller handles it), -1 with err on a bad value
 * (never echoing a secret).
 */
int cssf_aaa_config_option(cssf_aaa_config_t *cfg, const char *key, const char *value, char *err,
                           size_t err_cap);

/*
 * Takes the radius_* options out of opts: they go into cfg, every other
 * option is copied (borrowed pointers) into rest (room for nopts), in
 * order, with its count in *nrest. Returns 0, or -1 with err on a bad
 * radius_* value.
 */
int cssf_aaa_config_take(cssf_aaa_config_t *cfg, const cse_plugin_opt_t *opts, int nopts,
                         cse_plugin_opt_t *rest, int *nrest, char *err, size_t err_cap);

/* Checks the whole (e.g. psk needs authentication servers). 0 or -1.
 * Servers without a secret and radius_psk without radius_psk_password
 * pass: their secrets may be sealed in the registry. */
int cssf_aaa_config_check(const cssf_aaa_config_t *cfg, char *err, size_t err_cap);

/* 1 when any RADIUS server is configured. */
int cssf_aaa_config_enabled(const cssf_aaa_config_t *cfg);

/*
 * Splits a server spec "host:port[:secret]" ("[v6]:port[:secret]"): its
 * name "host:port" (port in decimal, as the RADIUS client names it) into
 * name, *secret the inline secret or NULL. 0, or -1 when malformed.
 */
int cssf_aaa_server_split(const char *spec, char *name, size_t cap, const char **secret);

/* Wipes secrets and frees the strings. */
void cssf_aaa_config_free(cssf_aaa_config_t *cfg);

#endif
