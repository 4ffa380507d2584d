/*
 * Plugin host: dlopen, ABI version negotiation, init/cleanup, and one
 * callback chain per event.
 *
 * Lifetime: plugins are loaded at start-up, before any binding serves, and
 * unloaded at shutdown, after the bindings stopped. In between the plugin
 * list and the chains are never written, so cse_plugin_host_run() reads them
 * without a lock from any thread. Loading and unloading are not thread-safe.
 *
 * Ownership: the host owns every cse_plugin_t (freed by unload_all), its
 * copy of the path and options (handed again to cleanup), and the chains.
 */
#include "cse/core/plugin_host.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/host.h"

typedef int (*plugin_version_fn)(int count, const int *supported);
typedef int (*plugin_init_fn)(cse_plugin_t *plugin, void **userdata, const cse_plugin_opt_t *opts,
                              int nopts);
typedef int (*plugin_cleanup_fn)(void *userdata, const cse_plugin_opt_t *opts, int nopts);

struct cse_plugin {
    char *path;
    void *handle; /* dlopen handle */
    plugin_init_fn init;
    plugin_cleanup_fn cleanup;
    void *userdata;         /* the plugin's state, set by its init */
    int abi_version;        /* the version the plugin picked */
    int registering;        /* 1 only while its init runs */
    cse_plugin_opt_t *opts; /* deep copy: cleanup gets the options init got */
    int nopts;
};

typedef struct chain_entry {
    cse_plugin_callback_fn fn;
    void *userdata;
    cse_plugin_t *plugin;
} chain_entry_t;

typedef struct chain {
    chain_entry_t *entries;
    int count;
} chain_t;

/* ABI versions this host implements, offered to every plugin. */
static const int supported_versions[] = {CSE_PLUGIN_ABI_VERSION};
#define NSUPPORTED ((int)(sizeof(supported_versions) / sizeof(supported_versions[0])))

/* Process-wide: one host per process. Index 0 of chains is unused so the
 * event number indexes it directly. */
static cse_plugin_t **plugins;
static int nplugins;
static chain_t chains[CSE_EVT_COUNT_];

static const char *const event_names[CSE_EVT_COUNT_] = {
    [CSE_EVT_AUTHENTICATE] = "AUTHENTICATE", [CSE_EVT_AUTHORIZE] = "AUTHORIZE",
    [CSE_EVT_REGISTER_AE] = "REGISTER_AE",   [CSE_EVT_DEREGISTER_AE] = "DEREGISTER_AE",
    [CSE_EVT_PSK_LOOKUP] = "PSK_LOOKUP",     [CSE_EVT_CERT_CHECK] = "CERT_CHECK",
    [CSE_EVT_ACCOUNTING] = "ACCOUNTING",     [CSE_EVT_RELOAD] = "RELOAD",
    [CSE_EVT_HTTP_ROUTE] = "HTTP_ROUTE",
};

static int event_valid(int event) {
    return event > 0 && event < CSE_EVT_COUNT_;
}

static void set_err(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t cap, const char *fmt, ...) {
    if (!err || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

/* "1" or "1, 2": the offered versions, for messages. */
static void format_versions(char *buf, size_t cap) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < NSUPPORTED && used < cap; i++) {
        int n = snprintf(buf + used, cap - used, "%s%d", i ? ", " : "", supported_versions[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static void free_opts(cse_plugin_opt_t *opts, int nopts) {
    for (int i = 0; i < nopts; i++) {
        free((char *)opts[i].key);
        free((char *)opts[i].value);
    }
    free(opts);
}

static cse_plugin_opt_t *copy_opts(const cse_plugin_opt_t *opts, int nopts) {
    cse_plugin_opt_t *copy = calloc(nopts > 0 ? (size_t)nopts : 1, sizeof(*copy));
    if (!copy)
        return NULL;
    for (int i = 0; i < nopts; i++) {
        copy[i].key = strdup(opts[i].key ? opts[i].key : "");
        copy[i].value = strdup(opts[i].value ? opts[i].value : "");
        if (!copy[i].key || !copy[i].value) {
            free_opts(copy, i + 1);
            return NULL;
        }
    }
    return copy;
}

static void plugin_free(cse_plugin_t *p) {
    if (!p)
        return;
    free_opts(p->opts, p->nopts);
    free(p->path);
    free(p);
}

/* Drops every callback p registered (its init failed). */
static void chains_remove(const cse_plugin_t *p) {
    for (int e = 1; e < CSE_EVT_COUNT_; e++) {
        chain_t *c = &chains[e];
        int kept = 0;
        for (int i = 0; i < c->count; i++)
            if (c->entries[i].plugin != p)
                c->entries[kept++] = c->entries[i];
        c->count = kept;
    }
}

static void chains_free(void) {
    for (int e = 0; e < CSE_EVT_COUNT_; e++) {
        free(chains[e].entries);
        chains[e].entries = NULL;
        chains[e].count = 0;
    }
}

int cse_callback_register(cse_plugin_t *plugin, int event, cse_plugin_callback_fn fn,
                          void *userdata) {
    if (!plugin || !fn || !plugin->registering) {
        cse_log(CSE_LOG_WARN, "plugin %s: cse_callback_register outside init refused",
                plugin && plugin->path ? plugin->path : "?");
        return -1;
    }
    if (!event_valid(event)) {
        cse_log(CSE_LOG_WARN, "plugin %s: cse_callback_register: unknown event %d", plugin->path,
                event);
        return -1;
    }
    chain_t *c = &chains[event];
    for (int i = 0; i < c->count; i++) {
        if (c->entries[i].plugin == plugin && c->entries[i].fn == fn) {
            cse_log(CSE_LOG_WARN, "plugin %s: cse_callback_register: duplicate for event %s",
                    plugin->path, event_names[event]);
            return -1;
        }
    }
    chain_entry_t *grown = realloc(c->entries, (size_t)(c->count + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    c->entries = grown;
    c->entries[c->count++] = (chain_entry_t){.fn = fn, .userdata = userdata, .plugin = plugin};
    return 0;
}

/* Looks up an entry point; a function pointer cannot be assigned from
 * void * in ISO C, so the symbol is copied through memcpy. */
static int resolve(void *handle, const char *name, void *fnptr, size_t fnsize) {
    void *sym = dlsym(handle, name);
    if (!sym)
        return -1;
    memcpy(fnptr, &sym, fnsize);
    return 0;
}

/* Offers the supported versions; returns the one picked, or -1. */
static int negotiate(plugin_version_fn version_fn) {
    int picked = version_fn(NSUPPORTED, supported_versions);
    for (int i = 0; i < NSUPPORTED; i++)
        if (picked == supported_versions[i])
            return picked;
    return -1;
}

int cse_plugin_host_load(const char *path, const cse_plugin_opt_t *opts, int nopts, char *err,
                         size_t err_cap) {
    void *handle = NULL;
    cse_plugin_t *p = NULL;
    cse_plugin_t **grown = NULL;
    plugin_version_fn version_fn = NULL;
    char offered[64];
    int rc = -1;

    if (!path || !*path) {
        set_err(err, err_cap, "plugin: no path given");
        goto out;
    }
    if (nopts < 0 || (nopts > 0 && !opts)) {
        set_err(err, err_cap, "plugin %s: bad option list", path);
        goto out;
    }
    /* A configured path names a file: without a slash dlopen would search
     * the library path instead of the working directory. */
    char file[4096];
    snprintf(file, sizeof(file), "%s%s", strchr(path, '/') ? "" : "./", path);
    handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        set_err(err, err_cap, "plugin %s: cannot open: %s", path, why ? why : "unknown error");
        goto out;
    }
    p = calloc(1, sizeof(*p));
    if (!p || !(p->path = strdup(path)) || !(p->opts = copy_opts(opts, nopts))) {
        set_err(err, err_cap, "plugin %s: out of memory", path);
        goto out;
    }
    p->nopts = nopts;
    p->handle = handle;
    const struct {
        const char *name;
        void *fnptr;
        size_t size;
    } syms[] = {
        {CSE_PLUGIN_SYM_VERSION, &version_fn, sizeof(version_fn)},
        {CSE_PLUGIN_SYM_INIT, &p->init, sizeof(p->init)},
        {CSE_PLUGIN_SYM_CLEANUP, &p->cleanup, sizeof(p->cleanup)},
    };
    for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
        if (resolve(handle, syms[i].name, syms[i].fnptr, syms[i].size) != 0) {
            set_err(err, err_cap, "plugin %s: missing symbol %s", path, syms[i].name);
            goto out;
        }
    }
    format_versions(offered, sizeof(offered));
    p->abi_version = negotiate(version_fn);
    if (p->abi_version < 0) {
        set_err(err, err_cap, "plugin %s: refused every ABI version offered (%s)", path, offered);
        goto out;
    }
    grown = realloc(plugins, (size_t)(nplugins + 1) * sizeof(*grown));
    if (!grown) {
        set_err(err, err_cap, "plugin %s: out of memory", path);
        goto out;
    }
    plugins = grown;

    p->registering = 1;
    int init_rc = p->init(p, &p->userdata, p->opts, p->nopts);
    p->registering = 0;
    if (init_rc != 0) {
        /* Its init cleans up after itself; cleanup is only for a plugin
         * that started. */
        chains_remove(p);
        set_err(err, err_cap, "plugin %s: init failed (rc %d)", path, init_rc);
        goto out;
    }
    plugins[nplugins++] = p;
    int ncallbacks = 0;
    for (int e = 1; e < CSE_EVT_COUNT_; e++)
        for (int i = 0; i < chains[e].count; i++)
            ncallbacks += chains[e].entries[i].plugin == p;
    cse_log(CSE_LOG_INFO, "plugin %s: loaded (ABI %d, %d callbacks)", path, p->abi_version,
            ncallbacks);
    p = NULL;
    handle = NULL;
    rc = 0;
out:
    plugin_free(p);
    if (handle)
        dlclose(handle);
    return rc;
}

void cse_plugin_host_unload_all(void) {
    /* No callback may run once cleanup started: drop the chains first. */
    chains_free();
    for (int i = nplugins - 1; i >= 0; i--) {
        cse_plugin_t *p = plugins[i];
        int rc = p->cleanup(p->userdata, p->opts, p->nopts);
        if (rc != 0)
            cse_log(CSE_LOG_WARN, "plugin %s: cleanup failed (rc %d)", p->path, rc);
        dlclose(p->handle);
        plugin_free(p);
    }
    free(plugins);
    plugins = NULL;
    nplugins = 0;
}

int cse_plugin_host_count(void) {
    return nplugins;
}

int cse_plugin_host_has(int event) {
    return event_valid(event) && chains[event].count > 0;
}

int cse_plugin_host_run(int event, void *event_data) {
    if (!event_valid(event)) {
        cse_log(CSE_LOG_ERROR, "plugin host: run of unknown event %d denied", event);
        return CSE_PLUGIN_DENY;
    }
    const chain_t *c = &chains[event];
    for (int i = 0; i < c->count; i++) {
        const chain_entry_t *e = &c->entries[i];
        int r = e->fn(event, event_data, e->userdata);
        if (r == CSE_PLUGIN_DEFER)
            continue;
        if (r == CSE_PLUGIN_OK || r == CSE_PLUGIN_DENY)
            return r;
        /* Fail closed: a result we do not understand is a denial. */
        cse_log(CSE_LOG_ERROR, "plugin %s: %s callback returned unknown result %d: treated as deny",
                e->plugin->path, event_names[event], r);
        return CSE_PLUGIN_DENY;
    }
    return CSE_PLUGIN_DEFER;
}
