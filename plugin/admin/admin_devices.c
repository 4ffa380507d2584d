/* /cssf/v1/devices: enrolment, listing, changes, suspension, removal. */
#include <stdio.h>
#include <string.h>

#include "plugin/admin/admin_internal.h"

/* The reply of a change: the document (with a generated PSK, once), or
 * the registry's error. Revoked credentials go to the revocation hook. */
static int finish(cssf_admin_t *a, cssf_admin_req_t *rq, cssf_registry_result_t *res) {
    int rc;
    if (res->status >= 400) {
        rc = cssf_admin_error(rq, res->status, res->field, "%s", res->error);
    } else if (res->status == CSSF_REG_NO_CONTENT) {
        rc = cssf_admin_reply(rq, 204, NULL);
    } else {
        json_t *doc = json_incref(res->doc);
        json_t *psk = json_object_get(json_object_get(doc, "credentials"), "psk");
        if (res->psk[0] && psk)
            json_object_set_new(psk, "key", json_string(res->psk));
        rc = cssf_admin_reply(rq, res->status, doc);
    }
    if (res->status < 400 && (res->revoked_psk_identity[0] || res->revoked_cert[0]) &&
        a->hooks.revoked)
        a->hooks.revoked(a->hooks.ctx, rq->subject, res->revoked_psk_identity, res->revoked_cert);
    cssf_registry_result_clear(res);
    return rc;
}

static int list(cssf_admin_t *a, cssf_admin_req_t *rq) {
    static const char *const allowed[] = {"state", "group",  "label", "aeid",
                                          "limit", "offset", NULL};
    if (cssf_admin_query_only(rq, allowed) < 0)
        return CSE_PLUGIN_OK;
    cssf_registry_filter_t f = {
        .state = cssf_admin_query_get(&rq->query, "state"),
        .group = cssf_admin_query_get(&rq->query, "group"),
        .label = cssf_admin_query_get(&rq->query, "label"),
        .aeid = cssf_admin_query_get(&rq->query, "aeid"),
    };
    const char *limit = cssf_admin_query_get(&rq->query, "limit");
    const char *offset = cssf_admin_query_get(&rq->query, "offset");
    if (f.state && strcmp(f.state, "active") != 0 && strcmp(f.state, "suspended") != 0)
        return cssf_admin_error(rq, 400, "state", "must be active or suspended");
    if (limit && (cssf_admin_parse_count(limit, 1000, &f.limit) < 0 || f.limit == 0))
        return cssf_admin_error(rq, 400, "limit", "must be a number from 1 to 1000");
    if (offset && cssf_admin_parse_count(offset, 100000000, &f.offset) < 0)
        return cssf_admin_error(rq, 400, "offset", "must be a number from 0");
    json_t *doc = cssf_registry_list(a->registry, &f);
    if (!doc)
        return cssf_admin_error(rq, 503, NULL, "the registry cannot answer");
    return cssf_admin_reply(rq, 200, doc);
}

static int create(cssf_admin_t *a, cssf_admin_req_t *rq) {
    if (cssf_admin_query_only(rq, NULL) < 0)
        return CSE_PLUGIN_OK;
    rq->change = "device.create";
    json_t *doc = cssf_admin_body(rq, CSSF_ADMIN_MAX_BODY);
    if (!doc)
        return CSE_PLUGIN_OK;
    const char *id = json_string_value(json_object_get(doc, "id"));
    snprintf(rq->subject, sizeof(rq->subject), "%.100s", id ? id : "");
    cssf_registry_result_t res;
    cssf_registry_create(a->registry, doc, &res);
    json_decref(doc);
    return finish(a, rq, &res);
}

static int one(cssf_admin_t *a, cssf_admin_req_t *rq, const char *id, const char *action) {
    const char *m = rq->method;
    cssf_registry_result_t res;
    if (cssf_admin_query_only(rq, NULL) < 0)
        return CSE_PLUGIN_OK;
    snprintf(rq->subject, sizeof(rq->subject), "%.100s", id);
    if (action) {
        int suspend = strcmp(action, "suspend") == 0;
        if (!suspend && strcmp(action, "resume") != 0)
            return cssf_admin_error(rq, 404, NULL, "no such endpoint");
        if (strcmp(m, "POST") != 0)
            return cssf_admin_error(rq, 405, NULL, "only POST");
        rq->change = suspend ? "device.suspend" : "device.resume";
        cssf_registry_set_suspended(a->registry, id, suspend, &res);
        return finish(a, rq, &res);
    }
    if (strcmp(m, "GET") == 0) {
        json_t *doc = cssf_registry_get(a->registry, id);
        return doc ? cssf_admin_reply(rq, 200, doc)
                   : cssf_admin_error(rq, 404, NULL, "no device '%.100s'", id);
    }
    if (strcmp(m, "DELETE") == 0) {
        rq->change = "device.delete";
        cssf_registry_delete(a->registry, id, &res);
        return finish(a, rq, &res);
    }
    if (strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0) {
        rq->change = m[1] == 'U' ? "device.replace" : "device.update";
        json_t *doc = cssf_admin_body(rq, CSSF_ADMIN_MAX_BODY);
        if (!doc)
            return CSE_PLUGIN_OK;
        cssf_registry_update(a->registry, id, doc, m[1] == 'A', &res);
        json_decref(doc);
        return finish(a, rq, &res);
    }
    return cssf_admin_error(rq, 405, NULL, "only GET, PUT, PATCH and DELETE");
}

int cssf_admin_devices(cssf_admin_t *a, cssf_admin_req_t *rq) {
    if (strcmp(rq->path, "/devices") == 0) {
        if (strcmp(rq->method, "GET") == 0)
            return list(a, rq);
        if (strcmp(rq->method, "POST") == 0)
            return create(a, rq);
        return cssf_admin_error(rq, 405, NULL, "only GET and POST");
    }
    /* "/devices/{id}" or "/devices/{id}/{action}" */
    const char *seg = rq->path + strlen("/devices/");
    const char *slash = strchr(seg, '/');
    size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
    char id[CSSF_DEVICE_ID_MAX * 3 + 1];
    if (n == 0 || cssf_admin_url_decode(seg, n, id, sizeof(id), 0) <= 0)
        return cssf_admin_error(rq, 404, NULL, "no such device");
    const char *action = slash ? slash + 1 : NULL;
    if (action && strchr(action, '/'))
        return cssf_admin_error(rq, 404, NULL, "no such endpoint");
    return one(a, rq, id, action);
}
