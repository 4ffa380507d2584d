#include "cse/core/view.h"

#include <stdlib.h>
#include <string.h>

static char *put(char **at, const char *s) {
    size_t n = strlen(s) + 1;
    char *dst = memcpy(*at, s, n);
    *at += n;
    return dst;
}

void cse_view_fill(cse_view_t *vw, const cse_res_t *r) {
    /* A compact resource (a contentInstance) without cr or acpi: nothing
     * to read from its serialized form, which would cost a parse. */
    json_t *attrs = r->attrs || r->has_cr || r->has_acpi ? cse_res_attrs((cse_res_t *)r) : NULL;
    json_t *acpi = json_object_get(attrs, "acpi");
    const char *cr = json_string_value(json_object_get(attrs, "cr"));
    const char *pi = r->parent ? r->parent->ri : "";
    size_t nacpi = json_is_array(acpi) ? json_array_size(acpi) : 0;
    size_t need = strlen(r->ri) + strlen(r->rn) + strlen(pi) + strlen(r->path) + 4 +
                  (cr ? strlen(cr) + 1 : 0);
    for (size_t i = 0; i < nacpi; i++) {
        const char *a = json_string_value(json_array_get(acpi, i));
        need += (a ? strlen(a) : 0) + 1;
    }
    memset(vw, 0, sizeof(*vw));
    vw->blob = cse_xmalloc(need);
    vw->acpi = nacpi ? cse_xcalloc(nacpi, sizeof(*vw->acpi)) : NULL;
    char *at = vw->blob;
    vw->v.version = 1;
    vw->v.ri = put(&at, r->ri);
    vw->v.rn = put(&at, r->rn);
    vw->v.pi = put(&at, pi);
    vw->v.path = put(&at, r->path);
    vw->v.ty = r->ty;
    vw->v.creator = cr ? put(&at, cr) : NULL;
    for (size_t i = 0; i < nacpi; i++) {
        const char *a = json_string_value(json_array_get(acpi, i));
        vw->acpi[i] = put(&at, a ? a : "");
    }
    vw->v.acpi = vw->acpi;
    vw->v.acpi_count = (int)nacpi;
    vw->v.has_acpi = json_is_array(acpi);
    vw->v.revision = r->revision;
    json_decref(attrs);
}

void cse_view_clear(cse_view_t *vw) {
    free(vw->blob);
    free(vw->acpi);
    memset(vw, 0, sizeof(*vw));
}
