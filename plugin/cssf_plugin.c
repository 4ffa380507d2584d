/* CSSF plugin entry points: ABI negotiation, state lifetime, callback registration. */
#include <stdlib.h>

#include "cse/host.h"
#include "cse/plugin.h"

CSE_PLUGIN_EXPORT int cse_plugin_version(int count, const int *supported) {
    for (int i = 0; i < count; i++)
        if (supported[i] == CSE_PLUGIN_ABI_VERSION)
            return CSE_PLUGIN_ABI_VERSION;
    return -1;
}

CSE_PLUGIN_EXPORT int cse_plugin_init(cse_plugin_t *plugin, void **userdata,
                                      const cse_plugin_opt_t *opts, int nopts) {
    (void)plugin;
    (void)opts;
    (void)nopts;
    *userdata = NULL;
    return 0;
}

CSE_PLUGIN_EXPORT int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts,
                                         int nopts) {
    (void)userdata;
    (void)opts;
    (void)nopts;
    return 0;
}
