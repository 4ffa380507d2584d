/*
 * minimal_plugin.c — the smallest useful onem2m-cse plugin.
 *
 * It denies every request whose originator (From) is the one named by the
 * option `blocked` and defers everything else to the plugins loaded after
 * it. Loaded alone, the CSE then denies the other requests too: when every
 * plugin defers, authentication and authorization fail closed.
 *
 * Build against an installed CSE:
 *   cc $(pkg-config --cflags cse-plugin) -shared -o minimal_plugin.so minimal_plugin.c
 * Configure:
 *   [plugin]
 *   path = /path/to/minimal_plugin.so
 *   blocked = Cbad
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cse/host.h>
#include <cse/plugin.h>

/* The plugin's one state struct: no globals, so the host could load the
 * plugin twice with different options. */
typedef struct minimal_state {
    char blocked[256];   /* read-only after init: no lock needed */
    atomic_ulong denied; /* callbacks run on several threads at once */
} minimal_state_t;

static int on_authenticate(int event, void *event_data, void *userdata) {
    cse_evt_authenticate_t *e = event_data;
    minimal_state_t *st = userdata;
    (void)event;
    if (e->version < 1 || !e->from || strcmp(e->from, st->blocked) != 0)
        return CSE_PLUGIN_DEFER; /* not ours to decide */

    char reason[300];
    snprintf(reason, sizeof(reason), "originator %s is blocked by minimal_plugin", e->from);
    e->rsc = 4103;                  /* ORIGINATOR_HAS_NO_PRIVILEGE */
    e->reason = cse_strdup(reason); /* the host frees it */
    atomic_fetch_add(&st->denied, 1);
    return CSE_PLUGIN_DENY;
}

CSE_PLUGIN_EXPORT int cse_plugin_version(int count, const int *supported) {
    for (int i = 0; i < count; i++)
        if (supported[i] == 1) /* the ABI this file was written for */
            return 1;
    return -1;
}

CSE_PLUGIN_EXPORT int cse_plugin_init(cse_plugin_t *plugin, void **userdata,
                                      const cse_plugin_opt_t *opts, int nopts) {
    minimal_state_t *st = calloc(1, sizeof(*st));
    if (!st)
        return 1;
    for (int i = 0; i < nopts; i++) /* options are borrowed: copy what we keep */
        if (strcmp(opts[i].key, "blocked") == 0)
            snprintf(st->blocked, sizeof(st->blocked), "%s", opts[i].value);
    if (!st->blocked[0]) {
        cse_log(CSE_LOG_ERROR, "minimal_plugin: option blocked is required");
        free(st);
        return 2; /* start-up stops; the host does not call cleanup */
    }
    if (cse_callback_register(plugin, CSE_EVT_AUTHENTICATE, on_authenticate, st) != 0) {
        free(st);
        return 3;
    }
    cse_log(CSE_LOG_INFO, "minimal_plugin: blocking originator %s", st->blocked);
    *userdata = st;
    return 0;
}

CSE_PLUGIN_EXPORT int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts, int nopts) {
    minimal_state_t *st = userdata;
    (void)opts;
    (void)nopts;
    cse_log(CSE_LOG_INFO, "minimal_plugin: denied %lu request(s)", atomic_load(&st->denied));
    free(st);
    return 0;
}
