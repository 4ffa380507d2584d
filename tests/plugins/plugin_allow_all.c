/*
 * Test plugin: permits everything. It takes the claimed From as the
 * originator, registers every AE and authorizes every operation: what a
 * testbed without security uses to exercise the CSE. NOT for production.
 *
 * Options: admin_originator (default "CAdmin") is the From that gets admin
 * rights.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/host.h"
#include "cse/plugin.h"

typedef struct allow_state {
    char admin[256];
} allow_state_t;

static void copy_id(char *dst, size_t cap, const char *src) {
    if (dst && cap)
        snprintf(dst, cap, "%s", src ? src : "");
}

static int allow_cb(int event, void *event_data, void *userdata) {
    const allow_state_t *st = userdata;
    switch (event) {
    case CSE_EVT_AUTHENTICATE: {
        cse_evt_authenticate_t *e = event_data;
        copy_id(e->identity, e->identity_cap, e->from);
        e->authenticated = 0;
        e->is_admin = e->from && strcmp(e->from, st->admin) == 0;
        return CSE_PLUGIN_OK;
    }
    case CSE_EVT_CERT_CHECK: {
        cse_evt_cert_check_t *e = event_data;
        if (!e->san_uri)
            return CSE_PLUGIN_DEFER;
        copy_id(e->identity, e->identity_cap, e->san_uri);
        return CSE_PLUGIN_OK;
    }
    case CSE_EVT_PSK_LOOKUP: /* it knows no keys */
    case CSE_EVT_HTTP_ROUTE: /* it serves no endpoints */
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
    allow_state_t *st = calloc(1, sizeof(*st));
    if (!st)
        return 1;
    snprintf(st->admin, sizeof(st->admin), "CAdmin");
    for (int i = 0; i < nopts; i++)
        if (strcmp(opts[i].key, "admin_originator") == 0)
            snprintf(st->admin, sizeof(st->admin), "%s", opts[i].value);
    for (int e = CSE_EVT_AUTHENTICATE; e < CSE_EVT_COUNT_; e++) {
        if (cse_callback_register(plugin, e, allow_cb, st) != 0) {
            free(st);
            return 1;
        }
    }
    cse_log(CSE_LOG_WARN, "plugin_allow_all: every request is permitted (testbed only)");
    *userdata = st;
    return 0;
}

CSE_PLUGIN_EXPORT int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts, int nopts) {
    (void)opts;
    (void)nopts;
    free(userdata);
    return 0;
}
