/* Admin API input parsing (see admin_json.h). */
#include "plugin/admin/admin_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hexval(int c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

long cssf_admin_url_decode(const char *in, size_t n, char *out, size_t cap, int plus_space) {
    size_t k = 0;
    if (cap == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)in[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval(in[i + 1]), lo = hexval(in[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi << 4 | lo;
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if (c == 0 || k + 1 >= cap)
            return -1;
        out[k++] = (char)c;
    }
    out[k] = '\0';
    return (long)k;
}

int cssf_admin_query_parse(const char *raw, cssf_admin_query_t *q, char *why, size_t why_cap) {
    memset(q, 0, sizeof(*q));
    if (!raw)
        return 0;
    const char *p = raw;
    while (*p) {
        size_t len = strcspn(p, "&");
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            if (q->n >= CSSF_ADMIN_QUERY_MAX) {
                snprintf(why, why_cap, "more than %d query parameters", CSSF_ADMIN_QUERY_MAX);
                return -1;
            }
            if (cssf_admin_url_decode(p, klen, q->key[q->n], CSSF_ADMIN_QUERY_KEY_MAX, 1) <= 0 ||
                cssf_admin_url_decode(eq ? eq + 1 : "", eq ? len - klen - 1 : 0, q->value[q->n],
                                      CSSF_ADMIN_QUERY_VALUE_MAX, 1) < 0) {
                snprintf(why, why_cap, "malformed or oversized query parameter");
                return -1;
            }
            if (cssf_admin_query_get(q, q->key[q->n])) {
                snprintf(why, why_cap, "query parameter '%s' given twice", q->key[q->n]);
                return -1;
            }
            q->n++;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return 0;
}

const char *cssf_admin_query_get(const cssf_admin_query_t *q, const char *key) {
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->key[i], key) == 0)
            return q->value[i];
    return NULL;
}

int cssf_admin_parse_count(const char *s, size_t max, size_t *out) {
    size_t v = 0;
    if (!s || !*s || strlen(s) > 9)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (size_t)(*s - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int cssf_admin_json_type(const char *content_type) {
    static const char want[] = "application/json";
    if (!content_type)
        return 0;
    while (*content_type == ' ')
        content_type++;
    if (strncasecmp(content_type, want, sizeof(want) - 1) != 0)
        return 0;
    const char *rest = content_type + sizeof(want) - 1;
    while (*rest == ' ')
        rest++;
    return *rest == '\0' || *rest == ';';
}

json_t *cssf_admin_parse_object(const char *body, size_t len, size_t max, const char *content_type,
                                int *status, char *why, size_t why_cap) {
    if (len > max) {
        *status = 413;
        snprintf(why, why_cap, "body exceeds %zu bytes", max);
        return NULL;
    }
    if (!cssf_admin_json_type(content_type)) {
        *status = 415;
        snprintf(why, why_cap, "the body must be application/json");
        return NULL;
    }
    json_error_t je;
    json_t *doc = body && len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!doc) {
        *status = 400;
        if (!body || !len)
            snprintf(why, why_cap, "the body is empty");
        else
            snprintf(why, why_cap, "malformed JSON at line %d column %d: %.120s", je.line,
                     je.column, je.text);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        *status = 400;
        snprintf(why, why_cap, "the body must be a JSON object");
        return NULL;
    }
    return doc;
}
