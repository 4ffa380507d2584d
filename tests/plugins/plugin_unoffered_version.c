/* Test plugin: answers with an ABI version the host did not offer, which
 * the host must treat as a refusal. */
#include "cse/plugin.h"

CSE_PLUGIN_EXPORT int cse_plugin_version(int count, const int *supported) {
    (void)supported;
    return count + 1000;
}

CSE_PLUGIN_EXPORT int cse_plugin_init(cse_plugin_t *plugin, void **userdata,
                                      const cse_plugin_opt_t *opts, int nopts) {
    (void)plugin;
    (void)userdata;
    (void)opts;
    (void)nopts;
    return 99;
}

CSE_PLUGIN_EXPORT int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts, int nopts) {
    (void)userdata;
    (void)opts;
    (void)nopts;
    return 0;
}
