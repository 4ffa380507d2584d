/*
 * The default ACP source: the host's resource store (cse_resource_get) and
 * the host's CSE-ID and SP-ID.
 */
#include <stddef.h>

#include "cse/host.h"
#include "plugin/authz/authorize.h"

/* Weak, so the plugin's objects also link into programs without the core
 * store (unit tests, fuzzers); there the source finds nothing and every
 * non-admin decision fails closed. */
#pragma weak cse_resource_get
#pragma weak cse_free
#pragma weak cse_host_cse_id
#pragma weak cse_host_sp_id

static int host_get(void *arg, const char *ri, uint64_t known_revision, uint64_t *revision,
                    char **json) {
    (void)arg;
    if (!cse_resource_get)
        return -1;
    return cse_resource_get(ri, known_revision, revision, json);
}

static void host_release(void *arg, char *json) {
    (void)arg;
    if (cse_free)
        cse_free(json);
}

cssf_authz_t *cssf_authz_create(void) {
    cssf_authz_source_t src = {.get = host_get, .release = host_release};
    const char *cse_id = cse_host_cse_id ? cse_host_cse_id() : NULL;
    const char *sp_id = cse_host_sp_id ? cse_host_sp_id() : NULL;
    return cssf_authz_create_with(&src, cse_id ? cse_id : "/id-in", sp_id ? sp_id : "");
}
