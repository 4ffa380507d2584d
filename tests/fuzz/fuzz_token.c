/* libFuzzer target: the plugin's own token parsing. The first byte picks
 * what the rest is: a bearer token (shape, compact JWS), a tkns list, a
 * claims object (claim checks, scopes, dynamic-authorization permissions)
 * or a tokens policy section (configuration, scope map). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cse/plugin.h"
#include "plugin/authn/token_claims.h"
#include "plugin/authn/token_config.h"
#include "plugin/authn/token_jws.h"
#include "plugin/authz/token_scope.h"
#include "plugin/authz/token_scope_dynauth.h"

static void jws(const char *text, size_t len) {
    cssf_jws_t j;
    char err[128];
    if (cssf_jws_parse(text, len, &j, err, sizeof(err)) == 0)
        cssf_jws_clear(&j);
}

static void claims(const char *text, size_t len) {
    json_t *c = json_loadb(text, len, 0, NULL);
    if (!c)
        return;
    static const cssf_claim_names_t m2m = {"exp", "tkna", "nbf", "tknb"};
    const char *aud[] = {"urn:onem2m:cse", "/id-in"};
    cssf_claim_rules_t rules[] = {{"https://as", aud, 1, 0, 1, 30, NULL},
                                  {NULL, aud + 1, 1, 1, 0, 0, &m2m}};
    char why[128], scopes[CSSF_SCOPE_MAX_TEXT], out[160];
    int64_t exp;
    for (size_t i = 0; i < 2; i++)
        cssf_claims_check(c, &rules[i], 1700000000, &exp, why, sizeof(why));
    cssf_claim_subject(c);
    cssf_scope_from_claims(c, scopes, sizeof(scopes));
    static const cssf_ids_t ids = {"/id-in", "sp.example"};
    cse_resource_view_t target = {.version = 1, .ri = "cnt1", .path = "cse-in/a/cnt1", .ty = 3};
    cse_evt_authorize_t ev = {
        .version = 1, .originator = "Cmeter", .operation = CSE_OP_RETRIEVE, .target = &target};
    cssf_dynauth_permits(c, &ids, &ev, out, sizeof(out));
    json_decref(c);
}

static void section(const char *text, size_t len) {
    json_t *s = json_loadb(text, len, 0, NULL);
    if (!s)
        return;
    char err[256];
    cssf_token_config_free(cssf_token_config_parse(s, err, sizeof(err)));
    cssf_scope_map_t m;
    if (cssf_scope_map_parse(json_object_get(s, "scopes"), &m, err, sizeof(err)) == 0) {
        cssf_scope_permits(&m, "a b cse.read", CSE_OP_CREATE, "cse-in/x", err, sizeof(err));
        cssf_scope_map_clear(&m);
    }
    json_decref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 3 * CSSF_TOKEN_MAX_LEN)
        return 0;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    size_t len = size - 1;
    switch (data[0] & 3) {
    case 0:
        cssf_token_form(text);
        jws(text, len);
        break;
    case 1: {
        const char *starts[CSSF_TOKEN_MAX_TKNS];
        size_t lens[CSSF_TOKEN_MAX_TKNS];
        int n = cssf_tkns_split(text, starts, lens, CSSF_TOKEN_MAX_TKNS);
        for (int i = 0; i < n; i++)
            jws(starts[i], lens[i]);
        break;
    }
    case 2:
        claims(text, len);
        break;
    default:
        section(text, len);
    }
    free(text);
    return 0;
}
