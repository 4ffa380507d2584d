/*
 * The default ACP source: the host's resource tree (cse_resource_get) and
 * the host's CSE-ID and SP-ID.
 */
#include <stddef.h>

#include "cse/host.h"
#include "plugin/authz/authorize.h"

static int host_get(void *arg, const char *ri, uint64_t known_revision, uint64_t *revision,
                    char **json) {
    (void)arg;
    return cse_resource_get(ri, known_revision, revision, json);
}

static void host_release(void *arg, char *json) {
    (void)arg;
    cse_free(json);
}

cssf_authz_t *cssf_authz_create(void) {
    cssf_authz_source_t src = {.get = host_get, .release = host_release};
    return cssf_authz_create_with(&src, cse_host_cse_id(), cse_host_sp_id());
}
