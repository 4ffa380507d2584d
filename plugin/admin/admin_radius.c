/* /cssf/v1/radius/secrets: RADIUS shared secrets sealed under the master
 * key (plugin/data/radius_secrets.h). Values go in, never out. */
#include <stdio.h>
#include <string.h>

#include "plugin/admin/admin_internal.h"
#include "plugin/data/radius_secrets.h"

/* The configured servers as the plugin sees them (a new array). */
static json_t *configured(cssf_admin_t *a) {
    json_t *list = json_array();
    if (list && a->hooks.radius_servers)
        a->hooks.radius_servers(a->hooks.ctx, list);
    return list;
}

static json_t *find(const json_t *list, const char *name) {
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && strcmp(n, name) == 0)
            return e;
    }
    return NULL;
}

/* One entry: what is configured for name and what is sealed for it. */
static json_t *entry(const char *name, const json_t *conf, const cssf_radius_secret_info_t *row) {
    json_t *e =
        json_pack("{s:s,s:b,s:b}", "name", name, "configured", conf != NULL, "sealed", row != NULL);
    if (!e)
        return NULL;
    json_object_set_new(e, "roles",
                        conf ? json_deep_copy(json_object_get(conf, "roles")) : json_array());
    if (conf)
        json_object_set_new(e, "in_use", json_deep_copy(json_object_get(conf, "in_use")));
    if (row) {
        json_object_set_new(e, "key_id", json_string(row->key_id));
        json_object_set_new(e, "updated", json_string(row->updated));
    }
    return e;
}

static int list(cssf_admin_t *a, cssf_admin_req_t *rq) {
    cssf_radius_secret_info_t rows[CSSF_RADIUS_SECRETS_ROWS];
    size_t n = 0;
    char err[256];
    if (cssf_admin_query_only(rq, NULL) < 0)
        return CSE_PLUGIN_OK;
    if (cssf_radius_secrets_list(a->registry, rows, CSSF_RADIUS_SECRETS_ROWS, &n, err,
                                 sizeof(err)) < 0)
        return cssf_admin_error(rq, 503, NULL, "%s", err);
    json_t *conf = configured(a), *out = json_array();
    size_t i;
    json_t *c;
    /* Configured names first, in configuration order; then sealed rows
     * no configured server uses (yet). */
    json_array_foreach(conf, i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        const cssf_radius_secret_info_t *row = NULL;
        for (size_t k = 0; name && k < n && !row; k++)
            if (strcmp(rows[k].name, name) == 0)
                row = &rows[k];
        if (name)
            json_array_append_new(out, entry(name, c, row));
    }
    for (size_t k = 0; k < n; k++)
        if (!find(conf, rows[k].name))
            json_array_append_new(out, entry(rows[k].name, NULL, &rows[k]));
    json_decref(conf);
    return cssf_admin_reply(
        rq, 200, json_pack("{s:o,s:I}", "secrets", out, "total", (json_int_t)json_array_size(out)));
}

/* The entry of name, or NULL when nothing is configured or sealed for it
 * (*failed = 1 when the store could not answer). */
static json_t *one_entry(cssf_admin_t *a, const char *name, int *failed) {
    cssf_radius_secret_info_t row;
    int found = cssf_radius_secrets_info(a->registry, name, &row);
    *failed = found < 0;
    json_t *conf = configured(a);
    const json_t *c = find(conf, name);
    json_t *e = c || found == 1 ? entry(name, c, found == 1 ? &row : NULL) : NULL;
    json_decref(conf);
    return e;
}

static int put(cssf_admin_t *a, cssf_admin_req_t *rq, const char *name) {
    rq->change = "radius.secret.set";
    if (!cssf_radius_secrets_name_ok(name))
        return cssf_admin_error(rq, 400, "name", "must be host:port (IPv6 as [addr]:port) or %s",
                                CSSF_RADIUS_SECRETS_PSK_PASSWORD);
    json_t *doc = cssf_admin_body(rq, CSSF_ADMIN_MAX_BODY);
    if (!doc)
        return CSE_PLUGIN_OK;
    const char *key;
    json_t *v, *secret = NULL;
    int rc = CSE_PLUGIN_OK;
    json_object_foreach(doc, key, v) {
        if (strcmp(key, "secret") != 0) {
            rc = cssf_admin_error(rq, 400, key, "unknown field");
            goto out;
        }
        secret = v;
    }
    if (!json_is_string(secret) ||
        !cssf_radius_secrets_value_ok(json_string_value(secret), json_string_length(secret))) {
        rc = cssf_admin_error(rq, 400, "secret", "must be a string of 1 to %d bytes without NUL",
                              CSSF_RADIUS_SECRET_MAX);
        goto out;
    }
    int created = 0;
    char err[256];
    cssf_radius_secret_info_t info;
    int st = cssf_radius_secrets_put(a->registry, name, json_string_value(secret),
                                     json_string_length(secret), &created, &info, err, sizeof(err));
    if (st == 1) {
        rc = cssf_admin_error(rq, 409, "name", "at most %d sealed RADIUS secrets",
                              CSSF_RADIUS_SECRETS_ROWS);
        goto out;
    }
    if (st < 0) {
        rc = cssf_admin_error(rq, 500, NULL, "cannot store the secret: %s", err);
        goto out;
    }
    if (a->hooks.radius_changed)
        a->hooks.radius_changed(a->hooks.ctx, name);
    int failed;
    json_t *e = one_entry(a, name, &failed);
    rc = e ? cssf_admin_reply(rq, created ? 201 : 200, e)
           : cssf_admin_error(rq, 500, NULL, "stored, but cannot read it back");
out:
    /* The only copy of the value outside the store is in the body. */
    if (json_is_string(secret))
        json_string_set(secret, "");
    json_decref(doc);
    return rc;
}

static int one(cssf_admin_t *a, cssf_admin_req_t *rq, const char *name) {
    if (cssf_admin_query_only(rq, NULL) < 0)
        return CSE_PLUGIN_OK;
    snprintf(rq->subject, sizeof(rq->subject), "%.120s", name);
    if (strcmp(rq->method, "PUT") == 0)
        return put(a, rq, name);
    if (strcmp(rq->method, "GET") == 0) {
        int failed;
        json_t *e = cssf_radius_secrets_name_ok(name) ? one_entry(a, name, &failed) : NULL;
        if (!e && failed)
            return cssf_admin_error(rq, 503, NULL, "the registry cannot answer");
        return e ? cssf_admin_reply(rq, 200, e)
                 : cssf_admin_error(rq, 404, NULL, "no RADIUS server or sealed secret '%.120s'",
                                    name);
    }
    if (strcmp(rq->method, "DELETE") == 0) {
        char err[256];
        rq->change = "radius.secret.delete";
        int rc = cssf_radius_secrets_name_ok(name)
                     ? cssf_radius_secrets_delete(a->registry, name, err, sizeof(err))
                     : 1;
        if (rc < 0)
            return cssf_admin_error(rq, 500, NULL, "%s", err);
        if (rc == 1)
            return cssf_admin_error(rq, 404, NULL, "no sealed secret for '%.120s'", name);
        if (a->hooks.radius_changed)
            a->hooks.radius_changed(a->hooks.ctx, name);
        return cssf_admin_reply(rq, 204, NULL);
    }
    return cssf_admin_error(rq, 405, NULL, "only GET, PUT and DELETE");
}

int cssf_admin_radius(cssf_admin_t *a, cssf_admin_req_t *rq) {
    if (strcmp(rq->path, "/radius/secrets") == 0) {
        if (strcmp(rq->method, "GET") != 0)
            return cssf_admin_error(rq, 405, NULL, "only GET");
        return list(a, rq);
    }
    const char *seg = rq->path + strlen("/radius/secrets/");
    char name[CSSF_RADIUS_SECRET_NAME_MAX * 3 + 1];
    if (!*seg || strchr(seg, '/') ||
        cssf_admin_url_decode(seg, strlen(seg), name, sizeof(name), 0) <= 0)
        return cssf_admin_error(rq, 404, NULL, "no such endpoint");
    return one(a, rq, name);
}
