#include "cse/http/http_request.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cse/core/rsc.h"

#define MAX_RESOURCE_TYPE 99999
#define MAX_LABEL_LEN 255

static int fail(cse_http_error_t *err, int rsc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(cse_http_error_t *err, int rsc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
    va_end(ap);
    err->rsc = rsc;
    return -1;
}

static const char *header(const cse_http_input_t *in, const char *name) {
    return in->header ? in->header(in->header_ctx, name) : NULL;
}

static int is_ows(char c) {
    return c == ' ' || c == '\t';
}

static const char *skip_ows(const char *s) {
    while (is_ows(*s))
        s++;
    return s;
}

/* Strict decimal: digits only, no sign, no white space, value <= max. */
static int parse_uint(const char *s, size_t len, long max, long *out) {
    if (len == 0 || len > 18)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_uint_str(const char *s, long max, long *out) {
    return s ? parse_uint(s, strlen(s), max, out) : -1;
}

/* --- Content-Type and Accept ------------------------------------------ */

static const char *const json_media[] = {
    "application/json",
    "application/vnd.onem2m-res+json",
    "application/vnd.onem2m-ntfy+json",
};

static int media_is_json(const char *s, size_t len) {
    for (size_t i = 0; i < sizeof(json_media) / sizeof(json_media[0]); i++)
        if (strlen(json_media[i]) == len && strncasecmp(s, json_media[i], len) == 0)
            return 1;
    return 0;
}

/* Trims OWS on both ends of [*s, *s + *len). */
static void trim(const char **s, size_t *len) {
    while (*len && is_ows(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_ows((*s)[*len - 1]))
        (*len)--;
}

int cse_http_content_type_parse(const char *value, int *ty) {
    *ty = 0;
    const char *semi = strchr(value, ';');
    const char *media = value;
    size_t mlen = semi ? (size_t)(semi - value) : strlen(value);
    trim(&media, &mlen);
    if (!media_is_json(media, mlen))
        return CSE_RSC_UNSUPPORTED_MEDIA_TYPE;

    int seen_ty = 0;
    for (const char *p = semi; p; p = strchr(p, ';')) {
        p++; /* past ';' */
        const char *end = strchr(p, ';');
        size_t plen = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', plen);
        const char *name = p;
        size_t nlen = eq ? (size_t)(eq - p) : plen;
        trim(&name, &nlen);
        if (nlen == 2 && strncasecmp(name, "ty", 2) == 0) {
            if (!eq || seen_ty)
                return CSE_RSC_BAD_REQUEST;
            const char *v = eq + 1;
            size_t vlen = (size_t)(p + plen - v);
            trim(&v, &vlen);
            if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
                v++;
                vlen -= 2;
            }
            long n;
            if (parse_uint(v, vlen, MAX_RESOURCE_TYPE, &n) < 0 || n == 0)
                return CSE_RSC_BAD_REQUEST;
            *ty = (int)n;
            seen_ty = 1;
        }
        /* Other parameters (charset, ...) do not change the meaning. */
    }
    return 0;
}

int cse_http_accept_json(const char *value) {
    if (!value)
        return 1;
    const char *p = value;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *semi = memchr(p, ';', len);
        const char *media = p;
        size_t mlen = semi ? (size_t)(semi - p) : len;
        trim(&media, &mlen);
        if (media_is_json(media, mlen) || (mlen == 3 && memcmp(media, "*/*", 3) == 0) ||
            (mlen == 13 && strncasecmp(media, "application/*", 13) == 0))
            return 1;
        if (!comma)
            break;
        p = comma + 1;
    }
    /* An empty Accept value is as good as none. */
    p = skip_ows(value);
    return *p == '\0';
}

/* --- timestamps -------------------------------------------------------- */

static int digits(const char *s, int n, int lo, int hi) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi;
}

int cse_http_timestamp_valid(const char *s) {
    size_t len = strlen(s);
    if (len < 15 || s[8] != 'T')
        return 0;
    if (!digits(s, 4, 0, 9999) || !digits(s + 4, 2, 1, 12) || !digits(s + 6, 2, 1, 31) ||
        !digits(s + 9, 2, 0, 23) || !digits(s + 11, 2, 0, 59) || !digits(s + 13, 2, 0, 60))
        return 0;
    if (len == 15)
        return 1;
    size_t frac = len - 16;
    return s[15] == ',' && frac >= 1 && frac <= 6 && digits(s + 16, (int)frac, 0, 999999);
}

/* --- Authorization ----------------------------------------------------- */

static int b64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Standard base64 with padding; returns decoded length or -1. */
static long b64_decode(const char *in, size_t len, char *out, size_t cap) {
    if (len % 4 != 0)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        int pad = 0;
        unsigned v = 0;
        for (int j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)in[i + j];
            int d;
            if (c == '=' && i + 4 == len && j >= 2 && (j == 3 || in[i + 3] == '=')) {
                d = 0;
                pad++;
            } else if ((d = b64_value(c)) < 0 || pad) {
                return -1;
            }
            v = v << 6 | (unsigned)d;
        }
        int outn = 3 - pad;
        if (n + (size_t)outn >= cap)
            return -1;
        for (int j = 0; j < outn; j++)
            out[n++] = (char)(v >> (16 - 8 * j) & 0xff);
    }
    out[n] = '\0';
    return (long)n;
}

static int scheme_is(const char *v, const char *scheme, const char **rest) {
    size_t n = strlen(scheme);
    if (strncasecmp(v, scheme, n) != 0 || !is_ows(v[n]))
        return 0;
    *rest = skip_ows(v + n);
    return 1;
}

static int parse_authorization(const cse_http_input_t *in, const char *value,
                               cse_security_context_t *sec, cse_http_error_t *err) {
    const char *v = skip_ows(value);
    const char *rest;
    if (*v == '\0')
        return fail(err, CSE_RSC_BAD_REQUEST, "empty Authorization header");
    if (scheme_is(v, "Bearer", &rest)) {
        if (*rest == '\0' || strpbrk(rest, " \t"))
            return fail(err, CSE_RSC_BAD_REQUEST, "malformed Bearer token in Authorization");
        sec->bearer_token = rest;
        return 0;
    }
    if (scheme_is(v, "Basic", &rest)) {
        if (!in->tls)
            return 0; /* credentials in clear text are never used */
        size_t len = strlen(rest);
        while (len && is_ows(rest[len - 1]))
            len--;
        long n = in->cred_buf ? b64_decode(rest, len, in->cred_buf, in->cred_cap) : -1;
        char *colon = n > 0 ? memchr(in->cred_buf, ':', (size_t)n) : NULL;
        if (!colon || strlen(in->cred_buf) != (size_t)n)
            return fail(err, CSE_RSC_BAD_REQUEST, "malformed Basic credentials in Authorization");
        *colon = '\0';
        sec->basic_user = in->cred_buf;
        sec->basic_password = colon + 1;
        return 0;
    }
    if (strpbrk(v, " \t"))
        return fail(err, CSE_RSC_BAD_REQUEST, "unsupported Authorization scheme");
    sec->onem2m_tokens = v;
    return 0;
}

int cse_http_security_fill(const cse_http_input_t *in, cse_security_context_t *sec,
                           cse_http_error_t *err) {
    sec->version = 1;
    sec->binding = in->tls ? CSE_BINDING_HTTPS : CSE_BINDING_HTTP;
    sec->assoc_method = CSE_ASSOC_NONE;
    if (in->peer && in->peer_len > 0 && in->peer_len <= sizeof(sec->peer)) {
        memcpy(&sec->peer, in->peer, in->peer_len);
        sec->peer_len = in->peer_len;
    }
    const char *auth = header(in, "Authorization");
    return auth ? parse_authorization(in, auth, sec, err) : 0;
}

/* --- query ------------------------------------------------------------- */

enum query_seen {
    SEEN_RCN = 1 << 0,
    SEEN_FU = 1 << 1,
    SEEN_DRT = 1 << 2,
    SEEN_LIM = 1 << 3,
    SEEN_LVL = 1 << 4,
    SEEN_OFST = 1 << 5,
    SEEN_STS = 1 << 6,
    SEEN_STB = 1 << 7,
};

typedef struct query_state {
    cse_request_t *req;
    cse_http_error_t *err;
    unsigned seen;
    int failed;
} query_state_t;

typedef struct int_param {
    const char *name;
    unsigned seen;
    long min, max;
    size_t offset; /* of the int in cse_query_t */
} int_param_t;

static const int_param_t int_params[] = {
    {"rcn", SEEN_RCN, 0, 11, offsetof(cse_query_t, rcn)},
    {"fu", SEEN_FU, 1, 2, offsetof(cse_query_t, fu)},
    {"drt", SEEN_DRT, 1, 2, offsetof(cse_query_t, drt)},
    {"lim", SEEN_LIM, 0, INT_MAX, offsetof(cse_query_t, lim)},
    {"lvl", SEEN_LVL, 0, INT_MAX, offsetof(cse_query_t, lvl)},
    {"ofst", SEEN_OFST, 0, INT_MAX, offsetof(cse_query_t, ofst)},
};

typedef struct time_param {
    const char *name;
    size_t offset; /* of the char[32] in cse_query_t */
} time_param_t;

static const time_param_t time_params[] = {
    {"crb", offsetof(cse_query_t, crb)}, {"cra", offsetof(cse_query_t, cra)},
    {"ms", offsetof(cse_query_t, ms)},   {"us", offsetof(cse_query_t, us)},
    {"exb", offsetof(cse_query_t, exb)}, {"exa", offsetof(cse_query_t, exa)},
};

static int query_fail(query_state_t *st, const char *name, const char *what) {
    fail(st->err, CSE_RSC_BAD_REQUEST, "query parameter %s: %s", name, what);
    st->failed = 1;
    return 1;
}

/* ty and lbl: each value is one item or several separated by spaces. */
static int add_list(query_state_t *st, const char *key, const char *value, int is_ty) {
    cse_query_t *q = &st->req->q;
    if (!value || *value == '\0')
        return query_fail(st, key, "needs a value");
    const char *p = value;
    while (*p) {
        size_t len = strcspn(p, " ");
        if (len > 0) {
            if (is_ty) {
                long n;
                if (q->nty >= CSE_MAX_FILTER_TY)
                    return query_fail(st, key, "too many values");
                if (parse_uint(p, len, MAX_RESOURCE_TYPE, &n) < 0 || n == 0)
                    return query_fail(st, key, "invalid value");
                q->ty[q->nty++] = (int)n;
            } else {
                if (q->nlbl >= CSE_MAX_FILTER_LBL)
                    return query_fail(st, key, "too many values");
                if (len > MAX_LABEL_LEN)
                    return query_fail(st, key, "invalid value");
                char *lbl = strndup(p, len);
                if (!lbl) {
                    fail(st->err, CSE_RSC_INTERNAL_SERVER_ERROR, "out of memory");
                    st->failed = 1;
                    return 1;
                }
                q->lbl[q->nlbl++] = lbl;
            }
        }
        p += len;
        while (*p == ' ')
            p++;
    }
    return 0;
}

static int visit_arg(void *cls, const char *key, const char *value) {
    query_state_t *st = cls;
    cse_query_t *q = &st->req->q;
    if (!key)
        return 0;
    for (size_t i = 0; i < sizeof(int_params) / sizeof(int_params[0]); i++) {
        const int_param_t *p = &int_params[i];
        if (strcmp(key, p->name) != 0)
            continue;
        long n;
        if (st->seen & p->seen)
            return query_fail(st, key, "given twice");
        if (parse_uint_str(value, p->max, &n) < 0 || n < p->min)
            return query_fail(st, key, "invalid value");
        st->seen |= p->seen;
        *(int *)((char *)q + p->offset) = (int)n;
        return 0;
    }
    for (size_t i = 0; i < sizeof(time_params) / sizeof(time_params[0]); i++) {
        const time_param_t *p = &time_params[i];
        if (strcmp(key, p->name) != 0)
            continue;
        char *dst = (char *)q + p->offset;
        if (*dst)
            return query_fail(st, key, "given twice");
        if (!value || !cse_http_timestamp_valid(value))
            return query_fail(st, key, "invalid timestamp");
        memcpy(dst, value, strlen(value) + 1); /* <= 22 bytes, checked above */
        return 0;
    }
    if (strcmp(key, "sts") == 0 || strcmp(key, "stb") == 0) {
        unsigned bit = key[2] == 's' ? SEEN_STS : SEEN_STB;
        long n;
        if (st->seen & bit)
            return query_fail(st, key, "given twice");
        if (parse_uint_str(value, LONG_MAX / 10, &n) < 0)
            return query_fail(st, key, "invalid value");
        st->seen |= bit;
        if (bit == SEEN_STS)
            q->sts = n;
        else
            q->stb = n;
        return 0;
    }
    if (strcmp(key, "ty") == 0)
        return add_list(st, key, value, 1);
    if (strcmp(key, "lbl") == 0)
        return add_list(st, key, value, 0);
    return 0; /* parameters this CSE does not use are ignored */
}

/* --- the request ------------------------------------------------------- */

static int method_to_op(const char *method, int ty) {
    if (strcmp(method, "GET") == 0)
        return CSE_OP_RETRIEVE;
    if (strcmp(method, "POST") == 0)
        return ty ? CSE_OP_CREATE : CSE_OP_NOTIFY;
    if (strcmp(method, "PUT") == 0)
        return CSE_OP_UPDATE;
    if (strcmp(method, "DELETE") == 0)
        return CSE_OP_DELETE;
    return 0;
}

static int rvi_supported(const char *v) {
    return strcmp(v, "2a") == 0 || strcmp(v, "3") == 0 || strcmp(v, "4") == 0 ||
           strcmp(v, "5") == 0;
}

void cse_http_request_echo(const cse_http_input_t *in, cse_request_t *req) {
    const char *ri = header(in, "X-M2M-RI");
    if (ri && *ri && strlen(ri) < sizeof(req->rqi))
        memcpy(req->rqi, ri, strlen(ri) + 1);
    const char *rvi = header(in, "X-M2M-RVI");
    if (rvi && rvi_supported(rvi))
        memcpy(req->rvi, rvi, strlen(rvi) + 1);
}

static int parse_headers(const cse_http_input_t *in, cse_request_t *req, cse_http_error_t *err) {
    const char *ri = header(in, "X-M2M-RI");
    if (!ri || !*ri)
        return fail(err, CSE_RSC_BAD_REQUEST, "missing X-M2M-RI header");
    if (!req->rqi[0])
        return fail(err, CSE_RSC_BAD_REQUEST, "X-M2M-RI longer than %d bytes", CSE_MAX_ID - 1);

    const char *rvi = header(in, "X-M2M-RVI");
    if (rvi && !req->rvi[0])
        return fail(err, CSE_RSC_BAD_REQUEST, "unsupported X-M2M-RVI (2a, 3, 4, 5 are)");

    const char *from = header(in, "X-M2M-Origin");
    if (from && *from) {
        size_t len = strlen(from);
        if (len >= sizeof(req->from))
            return fail(err, CSE_RSC_BAD_REQUEST, "X-M2M-Origin longer than %d bytes",
                        CSE_MAX_ID - 1);
        memcpy(req->from, from, len + 1);
        req->has_from = 1;
    }

    if (!cse_http_accept_json(header(in, "Accept")))
        return fail(err, CSE_RSC_NOT_ACCEPTABLE, "Accept admits no JSON representation");
    return 0;
}

static int parse_content_type(const cse_http_input_t *in, int *ty, cse_http_error_t *err) {
    const char *ct = header(in, "Content-Type");
    *ty = 0;
    if (!ct) {
        if (in->body_len > 0)
            return fail(err, CSE_RSC_UNSUPPORTED_MEDIA_TYPE, "a body needs a Content-Type");
        return 0;
    }
    int rc = cse_http_content_type_parse(ct, ty);
    if (rc == CSE_RSC_UNSUPPORTED_MEDIA_TYPE)
        return fail(err, rc,
                    "unsupported Content-Type (application/json or "
                    "application/vnd.onem2m-res+json are)");
    if (rc)
        return fail(err, rc, "invalid ty parameter in Content-Type");
    return 0;
}

static int parse_path(const cse_http_input_t *in, cse_request_t *req, cse_http_error_t *err) {
    const char *path = in->path ? in->path : "";
    size_t len = strlen(path);
    if (path[0] != '/')
        return fail(err, CSE_RSC_BAD_REQUEST, "request target must start with '/'");
    if (len >= sizeof(req->to))
        return fail(err, CSE_RSC_BAD_REQUEST, "request target longer than %d bytes",
                    CSE_MAX_TO - 1);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
            return fail(err, CSE_RSC_BAD_REQUEST, "control character in request target");
    memcpy(req->to, path, len + 1);
    return 0;
}

int cse_http_request_parse(const cse_http_input_t *in, cse_request_t *req, cse_http_error_t *err) {
    cse_request_init(req);
    err->rsc = 0;
    err->reason[0] = '\0';
    cse_http_request_echo(in, req); /* before anything can fail */

    int ty;
    int op = method_to_op(in->method ? in->method : "", 1);
    if (!op)
        return fail(err, CSE_RSC_OPERATION_NOT_ALLOWED, "method %.16s not allowed",
                    in->method ? in->method : "");
    if (parse_headers(in, req, err) < 0 || cse_http_security_fill(in, &req->sec, err) < 0 ||
        parse_content_type(in, &ty, err) < 0 || parse_path(in, req, err) < 0)
        return -1;

    req->op = method_to_op(in->method, ty);
    req->ty = req->op == CSE_OP_CREATE ? ty : 0;
    req->body = in->body;
    req->body_len = in->body_len;

    if (in->args) {
        query_state_t st = {.req = req, .err = err};
        in->args(in->args_ctx, visit_arg, &st);
        if (st.failed)
            return -1;
    }
    return 0;
}
