/*
 * What the CSE host offers a plugin. Only the symbols declared here are
 * exported by onem2m-cse (see cse/core/host.exports).
 */
#ifndef CSE_HOST_H
#define CSE_HOST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "cse/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Registers fn for event; userdata is handed back to fn on every call.
 * Callbacks run in registration order (across plugins: load order).
 * Returns 0, or -1 for an unknown event, a NULL plugin or fn, or a
 * duplicate (same fn, same event, same plugin). Only valid during the
 * plugin's own cse_plugin_init: afterwards the chains are read-only and
 * every call returns -1. */
int cse_callback_register(cse_plugin_t *plugin, int event, cse_plugin_callback_fn fn,
                          void *userdata);

/* Memory the host frees (reason strings, response bodies). */
void *cse_malloc(size_t size);
void cse_free(void *ptr);
char *cse_strdup(const char *s);

enum cse_log_level { CSE_LOG_ERROR = 0, CSE_LOG_WARN = 1, CSE_LOG_INFO = 2, CSE_LOG_DEBUG = 3 };

/* One log line (key=value text, no secrets). Thread-safe. */
void cse_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The hosting CSE's identity (borrowed, valid for the process lifetime). */
const char *cse_host_cse_id(void);        /* e.g. "/id-in" */
const char *cse_host_resource_name(void); /* e.g. "cse-in" */
const char *cse_host_sp_id(void);

/* Path of the CSE's SQLite database, for a plugin's own tables (borrowed). */
const char *cse_host_store_path(void);

/*
 * Reads resource `ri` as JSON (the full attribute object with short names).
 * If its current revision equals known_revision, returns 1 and sets nothing
 * else (the caller's cached copy is current). Otherwise returns 0, sets
 * *revision (if not NULL) and *json (if json is not NULL; cse_malloc'd,
 * caller frees with cse_free). Returns -1 when no such resource exists.
 * With json == NULL this is a cheap existence/revision check.
 */
int cse_resource_get(const char *ri, uint64_t known_revision, uint64_t *revision, char **json);

/*
 * Creates (or, if a child named rn exists, updates) a resource of type ty
 * under the resource at parent_path (structured, e.g. "cse-in"), as the
 * hosting CSE, bypassing authorization. json is the body without the
 * type wrapper, e.g. {"pv":{...},"pvs":{...}}. Durable when it returns 0.
 * On failure returns the oneM2M rsc and writes a reason into err.
 */
int cse_resource_apply(const char *parent_path, int ty, const char *rn, const char *json, char *err,
                       size_t err_cap);

/* One change for cse_resource_apply_all (same meaning as the arguments of
 * cse_resource_apply). */
typedef struct cse_resource_change {
    const char *parent_path;
    int ty;
    const char *rn;
    const char *json;
} cse_resource_change_t;

/*
 * Applies changes[0..n) in order as cse_resource_apply does, all or
 * nothing: in one transaction made durable by one commit. A change may
 * build on an earlier one (e.g. a parent it created). On failure nothing
 * is applied: returns the rsc of the first change that failed, sets
 * *failed (may be NULL) to its index — n when every change was valid but
 * their commit failed (5000) — and writes the reason into err.
 */
int cse_resource_apply_all(const cse_resource_change_t *changes, size_t n, size_t *failed,
                           char *err, size_t err_cap);

/*
 * Revocation: closes every (D)TLS session whose association identity (PSK
 * identity, or the identity CERT_CHECK bound) equals identity, in every
 * binding that keeps sessions. Asynchronous and non-blocking: the sessions
 * are closed (close_notify, accounting SESSION_STOP) within one turn of the
 * binding's event loop. Safe from any thread, also from a callback.
 */
void cse_sessions_close(const char *identity);

#ifdef __cplusplus
}
#endif
#endif
