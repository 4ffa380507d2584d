/*
 * Loads plugins (dlopen) and runs their callback chains.
 * Loading happens before any binding starts; after that the chains are
 * read-only, so running them needs no lock.
 */
#ifndef CSE_CORE_PLUGIN_HOST_H
#define CSE_CORE_PLUGIN_HOST_H

#include <stddef.h>

#include "cse/plugin.h"

/* Loads the plugin at path, negotiates the ABI version and runs its init
 * with opts (copied: the caller may free them afterwards). path names a
 * file; without a '/' it is taken relative to the working directory, never
 * searched in the library path. May be called several times (several
 * plugins, chained in load order), only before serving starts.
 * On failure returns -1 and writes "plugin PATH: <reason>" into err (cannot
 * open, missing symbol, refused every ABI version offered, init failed). */
int cse_plugin_host_load(const char *path, const cse_plugin_opt_t *opts, int nopts, char *err,
                         size_t err_cap);

/* Runs every plugin's cleanup (reverse load order) and unloads them. Call
 * only once no callback can run any more (bindings stopped). */
void cse_plugin_host_unload_all(void);

/* Number of loaded plugins. */
int cse_plugin_host_count(void);

/* Runs the chain of event. Returns CSE_PLUGIN_OK, CSE_PLUGIN_DENY or
 * CSE_PLUGIN_DEFER (every callback deferred or none registered). Callers of
 * AUTHENTICATE/AUTHORIZE/REGISTER_AE/PSK_LOOKUP/CERT_CHECK treat DEFER as deny.
 * A callback returning anything else ends the chain with DENY (logged); the
 * event's rsc and reason may then be unset, so callers keep a default.
 * An unknown event number returns DENY. Lock-free; any thread. */
int cse_plugin_host_run(int event, void *event_data);

/* 1 if at least one callback is registered for event. */
int cse_plugin_host_has(int event);

#endif
