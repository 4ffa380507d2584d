/* Test plugin: denies every event, with the rsc and reason a real plugin
 * would give, so tests can see a plugin's denial reach the client. */
#include <stdio.h>
#include <string.h>

#include "cse/host.h"
#include "cse/plugin.h"

#define REASON "denied by plugin_deny_all"

static int deny_cb(int event, void *event_data, void *userdata) {
    (void)userdata;
    switch (event) {
    case CSE_EVT_AUTHENTICATE: {
        cse_evt_authenticate_t *e = event_data;
        e->rsc = 4106;
        e->reason = cse_strdup(REASON);
        break;
    }
    case CSE_EVT_AUTHORIZE: {
        cse_evt_authorize_t *e = event_data;
        e->rsc = 4103;
        e->reason = cse_strdup(REASON);
        break;
    }
    case CSE_EVT_REGISTER_AE: {
        cse_evt_register_ae_t *e = event_data;
        e->rsc = 4126;
        e->reason = cse_strdup(REASON);
        break;
    }
    case CSE_EVT_RELOAD: {
        cse_evt_reload_t *e = event_data;
        e->reason = cse_strdup(REASON);
        break;
    }
    case CSE_EVT_HTTP_ROUTE: {
        cse_evt_http_route_t *e = event_data;
        e->status = 403;
        e->response_body = cse_strdup("{\"error\":\"" REASON "\"}");
        snprintf(e->response_content_type, sizeof(e->response_content_type), "%s",
                 "application/json");
        break;
    }
    default:
        break;
    }
    return CSE_PLUGIN_DENY;
}

CSE_PLUGIN_EXPORT int cse_plugin_version(int count, const int *supported) {
    for (int i = 0; i < count; i++)
        if (supported[i] == CSE_PLUGIN_ABI_VERSION)
            return CSE_PLUGIN_ABI_VERSION;
    return -1;
}

CSE_PLUGIN_EXPORT int cse_plugin_init(cse_plugin_t *plugin, void **userdata,
                                      const cse_plugin_opt_t *opts, int nopts) {
    (void)opts;
    (void)nopts;
    *userdata = NULL;
    for (int e = CSE_EVT_AUTHENTICATE; e < CSE_EVT_COUNT_; e++)
        if (cse_callback_register(plugin, e, deny_cb, NULL) != 0)
            return 1;
    return 0;
}

CSE_PLUGIN_EXPORT int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts, int nopts) {
    (void)userdata;
    (void)opts;
    (void)nopts;
    return 0;
}
