/* Device documents: parsing, validation, rendering (see registry_device.h). */
#include "plugin/data/registry_device.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/authn/authn.h"
#include "plugin/authn/originator.h"

static int fail(cssf_device_error_t *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(cssf_device_error_t *err, const char *field, const char *fmt, ...) {
    va_list ap;
    snprintf(err->field, sizeof(err->field), "%s", field);
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

/* Reports the first member of obj not in allowed (prefix names the object). */
static int known_members(const json_t *obj, const char *const *allowed, const char *prefix,
                         cssf_device_error_t *err) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int ok = 0;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok) {
            char field[96];
            snprintf(field, sizeof(field), "%s%.64s", prefix, key);
            return fail(err, field, "unknown field");
        }
    }
    return 0;
}

/* Printable ASCII without spaces: identities, SANs, client ids, labels. */
static int printable(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

/* A string value of 1..max printable bytes into *out (NULL for null). */
static int take_text(const json_t *v, const char *field, size_t max, char **out,
                     cssf_device_error_t *err) {
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return fail(err, field, "must be a string");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n > max || strlen(s) != n || !printable(s))
        return fail(err, field, "must be 1 to %zu printable characters without spaces", max);
    if (!(*out = strdup(s)))
        return fail(err, field, "out of memory");
    return 0;
}

static int get_text(const json_t *obj, const char *key, const char *field, size_t max, char **out,
                    cssf_device_error_t *err) {
    return take_text(json_object_get(obj, key), field, max, out, err);
}

static int id_ok(const char *s) {
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':' || c == '@'))
            return 0;
    }
    return 1;
}

int cssf_device_aeid_pattern_ok(const char *pattern, const char *host_cse_id, char *why,
                                size_t why_cap) {
    size_t n = strlen(pattern);
    if (n == 0 || n > CSSF_DEVICE_AEID_MAX) {
        snprintf(why, why_cap, "must be 1 to %d characters", CSSF_DEVICE_AEID_MAX);
        return 0;
    }
    const char *stem = strrchr(pattern, '/');
    stem = stem ? stem + 1 : pattern;
    if (strspn(stem, "*") == strlen(stem)) {
        snprintf(why, why_cap, "'%.64s' would match every AE: name the AE-IDs", pattern);
        return 0;
    }
    if (stem[0] != 'C' && stem[0] != 'S' && stem[0] != '*') {
        snprintf(why, why_cap, "'%.64s' is not an AE-ID: the AE-ID stem starts with C or S",
                 pattern);
        return 0;
    }
    /* A pattern is an AE-ID in which '*' stands for any run of characters. */
    char probe[CSSF_DEVICE_AEID_MAX + 1], ri[CSSF_ORIG_MAX];
    memcpy(probe, pattern, n + 1);
    for (char *p = probe; *p; p++)
        if (*p == '*')
            *p = 'x';
    if (cssf_originator_classify(probe, host_cse_id, ri, sizeof(ri)) != CSSF_ORIG_AE) {
        snprintf(why, why_cap, "'%.64s' is not an AE-ID pattern", pattern);
        return 0;
    }
    return 1;
}

static int get_string_list(const json_t *obj, const char *key, size_t max_items, size_t max_len,
                           char ***out, size_t *nout, cssf_device_error_t *err) {
    json_t *arr = json_object_get(obj, key);
    *out = NULL;
    *nout = 0;
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return fail(err, key, "must be an array of strings");
    size_t n = json_array_size(arr);
    if (n > max_items)
        return fail(err, key, "at most %zu entries", max_items);
    if (n && !(*out = calloc(n, sizeof(char *))))
        return fail(err, key, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char field[64];
        snprintf(field, sizeof(field), "%s[%zu]", key, i);
        (*nout)++;
        if (take_text(json_array_get(arr, i), field, max_len, &(*out)[i], err) < 0)
            return -1;
        if (!(*out)[i])
            return fail(err, field, "must be a string");
    }
    return 0;
}

static int hexval(int c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

int cssf_device_psk_parse(const char *hex, uint8_t *key, size_t *len, char *why, size_t why_cap) {
    size_t n = strlen(hex);
    if (n % 2 || n / 2 < CSSF_PSK_MIN || n / 2 > CSSF_PSK_MAX) {
        snprintf(why, why_cap, "must be %d to %d bytes written as %d to %d hex digits",
                 CSSF_PSK_MIN, CSSF_PSK_MAX, 2 * CSSF_PSK_MIN, 2 * CSSF_PSK_MAX);
        return -1;
    }
    int same = 1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            memset(key, 0, n / 2);
            snprintf(why, why_cap, "must be hex digits only");
            return -1;
        }
        key[i] = (uint8_t)(hi << 4 | lo);
        same &= key[i] == key[0];
    }
    if (same) {
        memset(key, 0, n / 2);
        snprintf(why, why_cap, "is weak: all its bytes are equal");
        return -1;
    }
    *len = n / 2;
    return 0;
}

/* "AB:cd:..." or "abcd..." → 64 lower-case hex digits. */
static int parse_fingerprint(const char *s, char out[65]) {
    size_t k = 0;
    for (; *s; s++) {
        if (*s == ':')
            continue;
        int v = hexval(*s);
        if (v < 0 || k >= 64)
            return -1;
        out[k++] = "0123456789abcdef"[v];
    }
    out[k] = '\0';
    return k == 64 ? 0 : -1;
}

static int parse_psk(const json_t *psk, cssf_device_t *out, cssf_device_error_t *err) {
    static const char *const keys[] = {"identity", "key", NULL};
    char why[128];
    if (!json_is_object(psk))
        return fail(err, "credentials.psk", "must be an object");
    if (known_members(psk, keys, "credentials.psk.", err) < 0 ||
        get_text(psk, "identity", "credentials.psk.identity", CSSF_DEVICE_TEXT_MAX,
                 &out->psk_identity, err) < 0)
        return -1;
    if (!out->psk_identity)
        return fail(err, "credentials.psk.identity", "missing");
    json_t *key = json_object_get(psk, "key");
    if (!key || json_is_null(key))
        return 0;
    if (!json_is_string(key))
        return fail(err, "credentials.psk.key", "must be a string of hex digits");
    if (cssf_device_psk_parse(json_string_value(key), out->psk, &out->psk_len, why, sizeof(why)) <
        0)
        return fail(err, "credentials.psk.key", "%s", why);
    return 0;
}

static int parse_cert(const json_t *cert, cssf_device_t *out, cssf_device_error_t *err) {
    static const char *const keys[] = {"san", "sha256", NULL};
    char *fp = NULL;
    if (!json_is_object(cert))
        return fail(err, "credentials.certificate", "must be an object");
    if (known_members(cert, keys, "credentials.certificate.", err) < 0 ||
        get_text(cert, "san", "credentials.certificate.san", CSSF_DEVICE_TEXT_MAX, &out->cert_san,
                 err) < 0 ||
        get_text(cert, "sha256", "credentials.certificate.sha256", 95, &fp, err) < 0)
        return -1;
    int rc = 0;
    if (fp && parse_fingerprint(fp, out->cert_sha256) < 0)
        rc = fail(err, "credentials.certificate.sha256",
                  "must be the SHA-256 of the DER certificate: 64 hex digits, colons allowed");
    else if (!out->cert_san && !fp)
        rc = fail(err, "credentials.certificate", "needs san or sha256");
    else if (out->cert_san && !strchr(out->cert_san, ':'))
        rc = fail(err, "credentials.certificate.san", "must be a URI");
    free(fp);
    return rc;
}

static int parse_credentials(const json_t *cred, cssf_device_t *out, cssf_device_error_t *err) {
    static const char *const keys[] = {"psk", "certificate", "oauth", "aaa", NULL};
    static const char *const oauth_keys[] = {"client_id", NULL};
    if (!json_is_object(cred))
        return fail(err, "credentials", "must be an object");
    if (known_members(cred, keys, "credentials.", err) < 0)
        return -1;
    json_t *v;
    if ((v = json_object_get(cred, "psk")) && !json_is_null(v) && parse_psk(v, out, err) < 0)
        return -1;
    if ((v = json_object_get(cred, "certificate")) && !json_is_null(v) &&
        parse_cert(v, out, err) < 0)
        return -1;
    if ((v = json_object_get(cred, "oauth")) && !json_is_null(v)) {
        if (!json_is_object(v))
            return fail(err, "credentials.oauth", "must be an object");
        if (known_members(v, oauth_keys, "credentials.oauth.", err) < 0 ||
            get_text(v, "client_id", "credentials.oauth.client_id", CSSF_DEVICE_TEXT_MAX,
                     &out->client_id, err) < 0)
            return -1;
        if (!out->client_id)
            return fail(err, "credentials.oauth.client_id", "missing");
    }
    if ((v = json_object_get(cred, "aaa")) && !json_is_null(v)) {
        if (!json_is_boolean(v))
            return fail(err, "credentials.aaa", "must be true or false");
        out->aaa = json_is_true(v);
    }
    if (out->aaa && out->psk_len)
        return fail(err, "credentials.psk.key",
                    "the PSK of an AAA-backed device comes from RADIUS: give no key");
    if (!out->psk_identity && !out->cert_san && !out->cert_sha256[0] && !out->client_id &&
        !out->aaa)
        return fail(err, "credentials", "needs at least one of psk, certificate, oauth, aaa");
    return 0;
}

static int parse_location(const json_t *loc, cssf_device_t *out, cssf_device_error_t *err) {
    static const char *const keys[] = {"lat", "lon", "country", NULL};
    if (!json_is_object(loc))
        return fail(err, "location", "must be an object");
    if (known_members(loc, keys, "location.", err) < 0)
        return -1;
    json_t *lat = json_object_get(loc, "lat"), *lon = json_object_get(loc, "lon");
    json_t *cc = json_object_get(loc, "country");
    if (!!lat != !!lon)
        return fail(err, lat ? "location.lon" : "location.lat", "lat and lon go together");
    if (lat) {
        if (!json_is_number(lat) || !isfinite(json_number_value(lat)) ||
            fabs(json_number_value(lat)) > 90)
            return fail(err, "location.lat", "must be a number from -90 to 90");
        if (!json_is_number(lon) || !isfinite(json_number_value(lon)) ||
            fabs(json_number_value(lon)) > 180)
            return fail(err, "location.lon", "must be a number from -180 to 180");
        out->has_latlon = 1;
        out->lat = json_number_value(lat);
        out->lon = json_number_value(lon);
    }
    if (cc) {
        const char *s = json_string_value(cc);
        if (!s || strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
            return fail(err, "location.country",
                        "must be an ISO 3166 alpha-2 code in upper case, e.g. \"DE\"");
        memcpy(out->country, s, 3);
    }
    if (!lat && !cc)
        return fail(err, "location", "needs lat and lon, or country");
    return 0;
}

static int parse_body(const json_t *doc, const char *host_cse_id, cssf_device_t *out,
                      cssf_device_error_t *err) {
    static const char *const keys[] = {"id",     "aeids", "credentials", "group",   "location",
                                       "labels", "state", "created",     "updated", NULL};
    if (!json_is_object(doc))
        return fail(err, "", "the body must be a JSON object");
    if (known_members(doc, keys, "", err) < 0)
        return -1;
    if (get_text(doc, "id", "id", CSSF_DEVICE_ID_MAX, &out->id, err) < 0)
        return -1;
    if (!out->id)
        return fail(err, "id", "missing");
    if (!id_ok(out->id))
        return fail(err, "id", "may hold only letters, digits and - _ . : @");
    if (get_string_list(doc, "aeids", CSSF_DEVICE_MAX_AEIDS, CSSF_DEVICE_AEID_MAX, &out->aeids,
                        &out->naeids, err) < 0)
        return -1;
    if (!out->naeids)
        return fail(err, "aeids", "needs at least one AE-ID the device may use as From");
    for (size_t i = 0; i < out->naeids; i++) {
        char why[160], field[32];
        if (!cssf_device_aeid_pattern_ok(out->aeids[i], host_cse_id, why, sizeof(why))) {
            snprintf(field, sizeof(field), "aeids[%zu]", i);
            return fail(err, field, "%s", why);
        }
    }
    json_t *cred = json_object_get(doc, "credentials");
    if (!cred)
        return fail(err, "credentials", "missing");
    if (parse_credentials(cred, out, err) < 0)
        return -1;
    if (get_text(doc, "group", "group", CSSF_DEVICE_ID_MAX, &out->group, err) < 0)
        return -1;
    json_t *loc = json_object_get(doc, "location");
    if (loc && !json_is_null(loc) && parse_location(loc, out, err) < 0)
        return -1;
    if (get_string_list(doc, "labels", CSSF_DEVICE_MAX_LABELS, CSSF_DEVICE_LABEL_MAX, &out->labels,
                        &out->nlabels, err) < 0)
        return -1;
    json_t *state = json_object_get(doc, "state");
    if (state && !json_is_null(state)) {
        const char *s = json_string_value(state);
        if (!s || (strcmp(s, "active") != 0 && strcmp(s, "suspended") != 0))
            return fail(err, "state", "must be \"active\" or \"suspended\"");
        out->suspended = strcmp(s, "suspended") == 0;
    }
    return 0;
}

int cssf_device_parse(const json_t *doc, const char *host_cse_id, cssf_device_t *out,
                      cssf_device_error_t *err) {
    memset(out, 0, sizeof(*out));
    memset(err, 0, sizeof(*err));
    if (parse_body(doc, host_cse_id, out, err) == 0)
        return 0;
    cssf_device_clear(out);
    return -1;
}

static void free_list(char **v, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void cssf_device_clear(cssf_device_t *d) {
    if (!d)
        return;
    free(d->id);
    free_list(d->aeids, d->naeids);
    free(d->psk_identity);
    free(d->psk_sealed);
    free(d->cert_san);
    free(d->client_id);
    free(d->group);
    free_list(d->labels, d->nlabels);
    /* volatile so the wipe of the plaintext key is not optimised away */
    volatile uint8_t *k = d->psk;
    for (size_t i = 0; i < sizeof(d->psk); i++)
        k[i] = 0;
    memset(d, 0, sizeof(*d));
}

static json_t *string_array(char *const *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

json_t *cssf_device_to_json(const cssf_device_t *d) {
    json_t *o = json_object(), *cred = json_object();
    if (!o || !cred) {
        json_decref(o);
        json_decref(cred);
        return NULL;
    }
    json_object_set_new(o, "id", json_string(d->id));
    json_object_set_new(o, "aeids", string_array(d->aeids, d->naeids));
    if (d->psk_identity)
        json_object_set_new(cred, "psk", json_pack("{s:s}", "identity", d->psk_identity));
    if (d->cert_san || d->cert_sha256[0]) {
        json_t *c = json_object();
        if (d->cert_san)
            json_object_set_new(c, "san", json_string(d->cert_san));
        if (d->cert_sha256[0])
            json_object_set_new(c, "sha256", json_string(d->cert_sha256));
        json_object_set_new(cred, "certificate", c);
    }
    if (d->client_id)
        json_object_set_new(cred, "oauth", json_pack("{s:s}", "client_id", d->client_id));
    if (d->aaa)
        json_object_set_new(cred, "aaa", json_true());
    json_object_set_new(o, "credentials", cred);
    if (d->group)
        json_object_set_new(o, "group", json_string(d->group));
    if (d->has_latlon || d->country[0]) {
        json_t *loc = json_object();
        if (d->has_latlon) {
            json_object_set_new(loc, "lat", json_real(d->lat));
            json_object_set_new(loc, "lon", json_real(d->lon));
        }
        if (d->country[0])
            json_object_set_new(loc, "country", json_string(d->country));
        json_object_set_new(o, "location", loc);
    }
    json_object_set_new(o, "labels", string_array(d->labels, d->nlabels));
    json_object_set_new(o, "state", json_string(d->suspended ? "suspended" : "active"));
    if (d->created[0])
        json_object_set_new(o, "created", json_string(d->created));
    if (d->updated[0])
        json_object_set_new(o, "updated", json_string(d->updated));
    return o;
}

int cssf_device_may_use(const cssf_device_t *d, const char *from, const char *host_cse_id) {
    if (!from || !*from)
        return 0;
    if (cssf_authn_match_any(d->aeids, d->naeids, from))
        return 1;
    char ri[CSSF_ORIG_MAX];
    if (cssf_originator_classify(from, host_cse_id, ri, sizeof(ri)) == CSSF_ORIG_AE &&
        strcmp(ri, from) != 0)
        return cssf_authn_match_any(d->aeids, d->naeids, ri);
    return 0;
}
