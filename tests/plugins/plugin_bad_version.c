/* Test plugin: refuses every ABI version the host offers. Its init must
 * never run. */
#include "cse/plugin.h"

CSE_PLUGIN_EXPORT int cse_plugin_version(int count, const int *supported) {
    (void)count;
    (void)supported;
    return -1;
}

CSE_PLUGIN_EXPORT int cse_plugin_init(cse_plugin_t *plugin, void **userdata,
                                      const cse_plugin_opt_t *opts, int nopts) {
    (void)plugin;
    (void)userdata;
    (void)opts;
    (void)nopts;
    return 99; /* the host would report "init failed (rc 99)" if it got here */
}

CSE_PLUGIN_EXPORT int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts, int nopts) {
    (void)userdata;
    (void)opts;
    (void)nopts;
    return 0;
}
