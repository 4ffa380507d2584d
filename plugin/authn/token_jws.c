/* Compact JWS parsing (see token_jws.h). */
#include "plugin/authn/token_jws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int b64url_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* RFC 6750 b64token: ALPHA DIGIT - . _ ~ + / then trailing '='. */
static int is_b64token_char(unsigned char c) {
    return b64url_value(c) >= 0 || c == '.' || c == '~' || c == '+' || c == '/';
}

int cssf_token_form(const char *token) {
    if (!token || !*token)
        return CSSF_TOKEN_MALFORMED;
    size_t len = strnlen(token, CSSF_TOKEN_MAX_LEN + 1);
    if (len > CSSF_TOKEN_MAX_LEN)
        return CSSF_TOKEN_MALFORMED;
    size_t end = len;
    while (end > 0 && token[end - 1] == '=')
        end--;
    if (end == 0)
        return CSSF_TOKEN_MALFORMED;
    int dots = 0;
    for (size_t i = 0; i < end; i++) {
        if (!is_b64token_char((unsigned char)token[i]))
            return CSSF_TOKEN_MALFORMED;
        dots += token[i] == '.';
    }
    if (dots == 2 && end == len)
        return CSSF_TOKEN_JWS;
    if (dots == 4 && end == len)
        return CSSF_TOKEN_JWE;
    return CSSF_TOKEN_OPAQUE;
}

long cssf_b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap) {
    if (len % 4 == 1)
        return -1;
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= cap)
                return -1;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Leftover bits must be zero, or two encodings would decode alike. */
    if (acc != 0)
        return -1;
    return (long)n;
}

static int fail(char *err, size_t cap, const char *why) {
    if (err && cap)
        snprintf(err, cap, "%s", why);
    return -1;
}

/* Decodes one part into a JSON object (max bytes decoded). */
static json_t *part_object(const char *p, size_t len, size_t max) {
    if (len == 0 || len > (max / 3 + 1) * 4)
        return NULL;
    unsigned char *buf = malloc(max + 1);
    if (!buf)
        return NULL;
    json_t *obj = NULL;
    long n = cssf_b64url_decode(p, len, buf, max);
    if (n > 0)
        obj = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    free(buf);
    if (obj && !json_is_object(obj)) {
        json_decref(obj);
        obj = NULL;
    }
    return obj;
}

/* Copies an optional string member into out; -1 if present but not a
 * string or too long. */
static int copy_member(json_t *obj, const char *name, char *out, size_t cap, int *present) {
    json_t *v = json_object_get(obj, name);
    out[0] = '\0';
    if (present)
        *present = v != NULL;
    if (!v)
        return 0;
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= cap || strlen(s) != json_string_length(v))
        return -1;
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

static int parse_header(cssf_jws_t *out, char *err, size_t cap) {
    int has_alg = 0;
    if (copy_member(out->header, "alg", out->alg, sizeof(out->alg), &has_alg) < 0 || !has_alg ||
        !out->alg[0])
        return fail(err, cap, "token header has no valid alg");
    if (copy_member(out->header, "typ", out->typ, sizeof(out->typ), NULL) < 0)
        return fail(err, cap, "token header typ is not a string");
    if (copy_member(out->header, "kid", out->kid, sizeof(out->kid), &out->has_kid) < 0)
        return fail(err, cap, "token header kid is not a short string");
    if (json_object_get(out->header, "crit"))
        return fail(err, cap, "token header has unsupported critical parameters");
    return 0;
}

int cssf_jws_parse(const char *token, size_t len, cssf_jws_t *out, char *err, size_t err_cap) {
    memset(out, 0, sizeof(*out));
    if (!token || len == 0 || len > CSSF_TOKEN_MAX_LEN || memchr(token, '\0', len))
        return fail(err, err_cap, "malformed token");
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return fail(err, err_cap, "token is not a compact JWS");
    size_t sig_len = len - (size_t)(dot2 + 1 - token);
    unsigned char sig[1024];
    if (sig_len && cssf_b64url_decode(dot2 + 1, sig_len, sig, sizeof(sig)) < 0)
        return fail(err, err_cap, "token signature is not base64url");
    out->header = part_object(token, (size_t)(dot1 - token), CSSF_TOKEN_MAX_HEADER);
    if (!out->header)
        return fail(err, err_cap, "token header is not a JSON object");
    out->payload = part_object(dot1 + 1, (size_t)(dot2 - dot1 - 1), CSSF_TOKEN_MAX_LEN);
    if (!out->payload) {
        cssf_jws_clear(out);
        return fail(err, err_cap, "token payload is not a JSON object");
    }
    if (parse_header(out, err, err_cap) < 0) {
        cssf_jws_clear(out);
        return -1;
    }
    return 0;
}

void cssf_jws_clear(cssf_jws_t *jws) {
    if (!jws)
        return;
    json_decref(jws->header);
    json_decref(jws->payload);
    memset(jws, 0, sizeof(*jws));
}

int cssf_tkns_split(const char *list, const char **starts, size_t *lens, int max) {
    if (!list || !*list)
        return -1;
    int n = 0;
    const char *p = list;
    for (;;) {
        const char *plus = strchr(p, '+');
        size_t len = plus ? (size_t)(plus - p) : strlen(p);
        if (len == 0 || n >= max)
            return -1;
        starts[n] = p;
        lens[n] = len;
        n++;
        if (!plus)
            return n;
        p = plus + 1;
    }
}
