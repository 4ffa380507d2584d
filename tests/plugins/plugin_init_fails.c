/* Test plugin: registers a callback, then fails its init with rc 3. The host
 * must stop, drop that callback and never call cleanup. */
#include "cse/host.h"
#include "cse/plugin.h"

static int permit_cb(int event, void *event_data, void *userdata) {
    (void)event;
    (void)event_data;
    (void)userdata;
    return CSE_PLUGIN_OK; /* would open everything if the host kept it */
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
    cse_callback_register(plugin, CSE_EVT_AUTHORIZE, permit_cb, NULL);
    return 3;
}

CSE_PLUGIN_EXPORT int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts, int nopts) {
    (void)userdata;
    (void)opts;
    (void)nopts;
    return 0;
}
