#include "cse/core/result.h"

#include <stdlib.h>
#include <string.h>

#include "cse/core/request.h"
#include "cse/plugin.h"
#include "cse/resources/rtype.h"

int cse_result_rcn(int op, int rcn) {
    static const int create[] = {0, 1, 2, 3, 9, -1}, retrieve[] = {1, 4, 5, 6, 7, 8, -1},
                     update[] = {0, 1, 9, -1}, del[] = {0, 1, -1}, discovery[] = {2, 6, 11, -1},
                     notify[] = {0, 1, -1};
    const int *allowed;
    int dflt;
    switch (op) {
    case CSE_OP_CREATE:
        allowed = create, dflt = 1;
        break;
    case CSE_OP_RETRIEVE:
        allowed = retrieve, dflt = 1;
        break;
    case CSE_OP_UPDATE:
        allowed = update, dflt = 1;
        break;
    case CSE_OP_DELETE:
        allowed = del, dflt = 0;
        break;
    case CSE_OP_DISCOVERY:
        allowed = discovery, dflt = CSE_RCN_DISCOVERY_RESULT_REFERENCES;
        break;
    default:
        allowed = notify, dflt = 0;
        break;
    }
    if (rcn < 0)
        return dflt;
    for (; *allowed >= 0; allowed++)
        if (*allowed == rcn)
            return rcn;
    return -1;
}

static char *dump(json_t *j, size_t *len) {
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    *len = s ? strlen(s) : 0;
    return s;
}

static char *copy_buf(const cse_buf_t *b, size_t *len) {
    char *s = malloc(b->len + 1);
    if (!s)
        return NULL;
    memcpy(s, b->data, b->len + 1);
    *len = b->len;
    return s;
}

char *cse_result_single(cse_res_t *r, int rcn, json_t *modified, size_t *len) {
    *len = 0;
    switch (rcn) {
    case CSE_RCN_NOTHING:
        return NULL;
    case CSE_RCN_HIERARCHICAL_ADDRESS:
        return dump(json_pack("{s:s}", "m2m:uri", r->path), len);
    case CSE_RCN_HIERARCHICAL_ADDRESS_ATTRIBUTES:
        return dump(json_pack("{s:{s:o,s:s}}", "m2m:rce", cse_rtype_wrapper(r->ty),
                              cse_res_attrs(r), "uri", r->path),
                    len);
    default: {
        /* rcn 9 without modified attributes (CREATE): what the CSE assigned. */
        if (rcn == CSE_RCN_MODIFIED_ATTRIBUTES && modified)
            return dump(json_pack("{s:O}", cse_rtype_wrapper(r->ty), modified), len);
        cse_buf_t *b = cse_res_json(r);
        if (!b)
            return NULL;
        char *s = copy_buf(b, len);
        cse_buf_unref(b);
        return s;
    }
    }
}

json_t *cse_result_assigned(json_t *attrs, json_t *request) {
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v) {
        if (!json_equal(json_object_get(request, k), v))
            json_object_set(out, k, v);
    }
    return out;
}

static json_t *parse_inner(const cse_buf_t *b) {
    if (!b)
        return json_object();
    json_t *j = json_loadb(b->data + b->inner_off, b->len - b->inner_off - 1, 0, NULL);
    return j ? j : json_object();
}

static json_t *ref_entry(const cse_found_t *f, int drt) {
    return json_pack("{s:s,s:i,s:s}", "nm", f->rn, "typ", f->ty, "val", drt == 2 ? f->ri : f->path);
}

/* Nests found resources under their nearest listed ancestor (or top). */
static void nest_children(json_t *top, const cse_found_list_t *found) {
    json_t *by_ri = json_object();
    for (size_t i = 0; i < found->n; i++) {
        const cse_found_t *f = &found->items[i];
        json_t *obj = parse_inner(f->json);
        json_t *holder = json_object_get(by_ri, f->pi);
        if (!holder)
            holder = top;
        const char *w = cse_rtype_wrapper(f->ty);
        json_t *list = json_object_get(holder, w);
        if (!json_is_array(list)) {
            list = json_array();
            json_object_set_new(holder, w, list);
        }
        json_array_append(list, obj);
        json_object_set_new(by_ri, f->ri, obj);
    }
    json_decref(by_ri);
}

char *cse_result_listing(const cse_buf_t *target, int ty, int rcn, int discovery, int drt,
                         const cse_found_list_t *found, size_t *len) {
    json_t *out;
    if (discovery && rcn != CSE_RCN_CHILD_RESOURCE_REFS) {
        json_t *uris = json_array();
        for (size_t i = 0; i < found->n; i++)
            json_array_append_new(
                uris, json_string(drt == 2 ? found->items[i].ri : found->items[i].path));
        return dump(json_pack("{s:o}", "m2m:uril", uris), len);
    }
    switch (rcn) {
    case CSE_RCN_CHILD_RESOURCE_REFS: {
        json_t *refs = json_array();
        for (size_t i = 0; i < found->n; i++)
            json_array_append_new(refs, ref_entry(&found->items[i], drt));
        out = json_pack("{s:{s:o}}", "m2m:rrl", "rrf", refs);
        break;
    }
    case CSE_RCN_ATTRIBUTES_CHILD_RESOURCE_REFS: {
        json_t *attrs = parse_inner(target), *refs = json_array();
        for (size_t i = 0; i < found->n; i++)
            json_array_append_new(refs, ref_entry(&found->items[i], drt));
        json_object_set_new(attrs, "ch", refs);
        out = json_pack("{s:o}", cse_rtype_wrapper(ty), attrs);
        break;
    }
    case CSE_RCN_CHILD_RESOURCES:
    case CSE_RCN_ATTRIBUTES_CHILD_RESOURCES: {
        json_t *top = rcn == CSE_RCN_CHILD_RESOURCES ? json_object() : parse_inner(target);
        nest_children(top, found);
        out = json_pack("{s:o}", cse_rtype_wrapper(ty), top);
        break;
    }
    default:
        return copy_buf(target, len);
    }
    return dump(out, len);
}
