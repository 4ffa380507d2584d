/* Test plugin: registers every event and defers each one, so the host's
 * own all-DEFER handling decides. */
#include "cse/host.h"
#include "cse/plugin.h"

static int defer_cb(int event, void *event_data, void *userdata) {
    (void)event;
    (void)event_data;
    (void)userdata;
    return CSE_PLUGIN_DEFER;
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
        if (cse_callback_register(plugin, e, defer_cb, NULL) != 0)
            return 1;
    return 0;
}

CSE_PLUGIN_EXPORT int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts, int nopts) {
    (void)userdata;
    (void)opts;
    (void)nopts;
    return 0;
}
