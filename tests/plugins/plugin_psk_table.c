/*
 * Test plugin for the DTLS bindings: answers PSK_LOOKUP from a table in its
 * options, binds a client certificate's SAN URI in CERT_CHECK, and
 * otherwise permits everything like plugin_allow_all. NOT for production.
 *
 * Options:
 *   psk_table            id1:hexkey1,id2:hexkey2 (keys in hex, at most 32 bytes)
 *   cert_deny            CERT_CHECK refuses SAN URIs containing this text
 *   require_association  1 = AUTHENTICATE denies (4107) requests without a
 *                        DTLS/TLS association
 *   record_file          appends one line per AUTHENTICATE:
 *                        "binding=B method=M identity=I from=F session=S"
 *   admin_originator     From with admin rights (default CAdmin)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/host.h"
#include "cse/plugin.h"

#define MAX_KEYS 32

typedef struct psk_entry {
    char id[128];
    unsigned char key[32];
    size_t key_len;
} psk_entry_t;

typedef struct psk_state {
    psk_entry_t keys[MAX_KEYS];
    int nkeys;
    char cert_deny[128];
    int require_association;
    char admin[256];
    FILE *record;
    pthread_mutex_t lock;
} psk_state_t;

static int hex(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* "id:hex,id:hex" into the table; -1 on a malformed entry. */
static int parse_table(psk_state_t *st, const char *spec) {
    char *copy = strdup(spec), *save = NULL;
    int rc = 0;
    for (char *e = strtok_r(copy, ",", &save); e && rc == 0; e = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(e, ':');
        size_t hlen = colon ? strlen(colon + 1) : 0;
        psk_entry_t *k = &st->keys[st->nkeys];
        if (!colon || st->nkeys >= MAX_KEYS || hlen == 0 || hlen % 2 || hlen / 2 > 32 ||
            (size_t)(colon - e) >= sizeof(k->id)) {
            rc = -1;
            break;
        }
        *colon = 0;
        snprintf(k->id, sizeof(k->id), "%s", e);
        for (size_t i = 0; i < hlen / 2; i++) {
            int hi = hex(colon[1 + 2 * i]), lo = hex(colon[2 + 2 * i]);
            if (hi < 0 || lo < 0)
                rc = -1;
            k->key[i] = (unsigned char)(hi << 4 | lo);
        }
        k->key_len = hlen / 2;
        st->nkeys++;
    }
    free(copy);
    return rc;
}

static int authenticate(psk_state_t *st, cse_evt_authenticate_t *e) {
    const cse_security_context_t *sec = e->sec;
    int assoc = sec && sec->assoc_method != CSE_ASSOC_NONE;
    if (st->record) {
        pthread_mutex_lock(&st->lock);
        fprintf(st->record, "binding=%d method=%d identity=%s from=%s session=%llu\n",
                sec ? sec->binding : 0, sec ? sec->assoc_method : 0,
                sec && sec->assoc_identity ? sec->assoc_identity : "-", e->from ? e->from : "-",
                sec ? (unsigned long long)sec->session_id : 0ull);
        fflush(st->record);
        pthread_mutex_unlock(&st->lock);
    }
    if (st->require_association && !assoc) {
        e->rsc = 4107;
        e->reason = cse_strdup("a DTLS or TLS security association is required");
        return CSE_PLUGIN_DENY;
    }
    snprintf(e->identity, e->identity_cap, "%s", e->from ? e->from : "");
    e->authenticated = assoc;
    e->is_admin = e->from && strcmp(e->from, st->admin) == 0;
    return CSE_PLUGIN_OK;
}

static int psk_cb(int event, void *event_data, void *userdata) {
    psk_state_t *st = userdata;
    switch (event) {
    case CSE_EVT_AUTHENTICATE:
        return authenticate(st, event_data);
    case CSE_EVT_PSK_LOOKUP: {
        cse_evt_psk_lookup_t *e = event_data;
        for (int i = 0; i < st->nkeys; i++)
            if (strcmp(st->keys[i].id, e->identity) == 0 && st->keys[i].key_len <= e->key_cap) {
                memcpy(e->key, st->keys[i].key, st->keys[i].key_len);
                e->key_len = st->keys[i].key_len;
                return CSE_PLUGIN_OK;
            }
        return CSE_PLUGIN_DENY;
    }
    case CSE_EVT_CERT_CHECK: {
        cse_evt_cert_check_t *e = event_data;
        if (!e->san_uri || (st->cert_deny[0] && strstr(e->san_uri, st->cert_deny)))
            return CSE_PLUGIN_DENY;
        snprintf(e->identity, e->identity_cap, "%s", e->san_uri);
        return CSE_PLUGIN_OK;
    }
    case CSE_EVT_HTTP_ROUTE:
        return CSE_PLUGIN_DEFER;
    default:
        return CSE_PLUGIN_OK;
    }
}

CSE_PLUGIN_EXPORT int cse_plugin_version(int count, const int *supported) {
    for (int i = 0; i < count; i++)
        if (supported[i] == CSE_PLUGIN_ABI_VERSION)
            return CSE_PLUGIN_ABI_VERSION;
    return -1;
}

CSE_PLUGIN_EXPORT int cse_plugin_init(cse_plugin_t *plugin, void **userdata,
                                      const cse_plugin_opt_t *opts, int nopts) {
    psk_state_t *st = calloc(1, sizeof(*st));
    if (!st)
        return 1;
    pthread_mutex_init(&st->lock, NULL);
    snprintf(st->admin, sizeof(st->admin), "CAdmin");
    for (int i = 0; i < nopts; i++) {
        const char *k = opts[i].key, *v = opts[i].value;
        if (!strcmp(k, "psk_table") && parse_table(st, v) < 0) {
            cse_log(CSE_LOG_ERROR, "plugin_psk_table: malformed psk_table");
            goto fail;
        } else if (!strcmp(k, "cert_deny")) {
            snprintf(st->cert_deny, sizeof(st->cert_deny), "%s", v);
        } else if (!strcmp(k, "require_association")) {
            st->require_association = atoi(v);
        } else if (!strcmp(k, "admin_originator")) {
            snprintf(st->admin, sizeof(st->admin), "%s", v);
        } else if (!strcmp(k, "record_file") && !(st->record = fopen(v, "a"))) {
            goto fail;
        }
    }
    for (int e = CSE_EVT_AUTHENTICATE; e < CSE_EVT_COUNT_; e++)
        if (cse_callback_register(plugin, e, psk_cb, st) != 0)
            goto fail;
    *userdata = st;
    return 0;
fail:
    if (st->record)
        fclose(st->record);
    free(st);
    return 1;
}

CSE_PLUGIN_EXPORT int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts, int nopts) {
    psk_state_t *st = userdata;
    (void)opts;
    (void)nopts;
    if (st->record)
        fclose(st->record);
    pthread_mutex_destroy(&st->lock);
    free(st);
    return 0;
}
