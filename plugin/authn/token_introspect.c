/* RFC 7662 introspection (see token_introspect.h). */
#include "plugin/authn/token_introspect.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/authn/token_keys.h"

#define MAX_RESPONSE (64 * 1024)

static int result(int status, char *reason, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int result(int status, char *reason, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, cap, fmt, ap);
    va_end(ap);
    return status;
}

int cssf_token_introspect(cssf_oauth2_t *rt, const cssf_token_config_t *cfg, const char *token,
                          json_t **resp, char *reason, size_t reason_cap) {
    *resp = NULL;
    const char *form[] = {"token",     token,          "token_type_hint", "access_token",
                          "client_id", cfg->client_id, "client_secret",   cfg->client_secret};
    cssf_oauth2_http_t req = {
        .url = cfg->introspection_url,
        .form = form,
        .nform = cfg->auth_post ? 4 : 2,
        .basic_user = cfg->auth_post ? NULL : cfg->client_id,
        .basic_pass = cfg->auth_post ? NULL : cfg->client_secret,
        .timeout = cfg->http_timeout,
    };
    long status = 0;
    char *body = NULL;
    char err[128];
    if (cssf_oauth2_http(rt, &req, &status, &body, err, sizeof(err)) < 0) {
        snprintf(reason, reason_cap, "introspection endpoint unreachable (%s)", err);
        return CSSF_TOKEN_UNAVAILABLE;
    }
    int rc;
    json_t *doc = NULL;
    if (status == 401 || status == 403)
        rc = result(CSSF_TOKEN_UNAVAILABLE, reason, reason_cap,
                    "introspection endpoint refused the CSE's client credentials (HTTP %ld)",
                    status);
    else if (status != 200)
        rc = result(CSSF_TOKEN_UNAVAILABLE, reason, reason_cap,
                    "introspection endpoint answered HTTP %ld", status);
    else if (strlen(body) > MAX_RESPONSE ||
             !(doc = json_loads(body, JSON_REJECT_DUPLICATES, NULL)) || !json_is_object(doc) ||
             !json_is_boolean(json_object_get(doc, "active")))
        rc = result(CSSF_TOKEN_UNAVAILABLE, reason, reason_cap, "malformed introspection response");
    else if (!json_is_true(json_object_get(doc, "active")))
        rc = result(CSSF_TOKEN_INVALID, reason, reason_cap,
                    "token is not active (revoked, expired or unknown to the AS)");
    else {
        *resp = doc;
        doc = NULL;
        rc = CSSF_TOKEN_OK;
    }
    json_decref(doc);
    free(body);
    return rc;
}
