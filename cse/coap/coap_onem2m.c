#include "cse/coap/coap_onem2m.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/core/rsc.h"
#include "cse/http/http_request.h"

static const uint16_t known_critical[] = {
    CSE_COAP_OPT_URI_HOST,  CSE_COAP_OPT_URI_PORT, CSE_COAP_OPT_URI_PATH, CSE_COAP_OPT_URI_QUERY,
    CSE_COAP_OPT_ACCEPT,    CSE_COAP_OPT_BLOCK2,   CSE_COAP_OPT_BLOCK1,   CSE_COAP_OPT_M2M_OT,
    CSE_COAP_OPT_M2M_RTURI, CSE_COAP_OPT_M2M_TY,   CSE_COAP_OPT_M2M_RVI,  CSE_COAP_OPT_M2M_ASRI,
    CSE_COAP_OPT_M2M_FR,    CSE_COAP_OPT_M2M_RQI,  CSE_COAP_OPT_M2M_RQET, CSE_COAP_OPT_M2M_RSET,
    CSE_COAP_OPT_M2M_OET,   CSE_COAP_OPT_M2M_EC,   CSE_COAP_OPT_M2M_RSC,  CSE_COAP_OPT_M2M_GID,
    CSE_COAP_OPT_M2M_CTO,   CSE_COAP_OPT_M2M_CTS,  CSE_COAP_OPT_M2M_ATI,  CSE_COAP_OPT_M2M_VSI,
    CSE_COAP_OPT_M2M_GTM,   CSE_COAP_OPT_M2M_AUS,  CSE_COAP_OPT_M2M_OMR,  CSE_COAP_OPT_M2M_PRPI,
    CSE_COAP_OPT_M2M_MSU,
};

int cse_coap_onem2m_unknown_critical(const cse_coap_msg_t *msg) {
    for (int i = 0; i < msg->nopts; i++) {
        uint16_t num = msg->opts[i].num;
        if (!cse_coap_option_is_critical(num))
            continue;
        size_t k = 0;
        while (k < sizeof(known_critical) / sizeof(known_critical[0]) && known_critical[k] != num)
            k++;
        if (k == sizeof(known_critical) / sizeof(known_critical[0]))
            return num;
    }
    return 0;
}

/* Copies an option value as a C string; -1 if it does not fit or holds NUL. */
static int opt_str(const cse_coap_option_t *o, char *dst, size_t cap) {
    const uint8_t *v = cse_coap_opt_value(o);
    if (o->len >= cap || memchr(v, 0, o->len))
        return -1;
    memcpy(dst, v, o->len);
    dst[o->len] = 0;
    return 0;
}

static int build_to(const cse_coap_msg_t *msg, char *to, size_t cap, char *err, size_t err_cap) {
    size_t n = 0;
    const cse_coap_option_t *o = NULL;
    while ((o = cse_coap_msg_next(msg, CSE_COAP_OPT_URI_PATH, o))) {
        const uint8_t *v = cse_coap_opt_value(o);
        if (memchr(v, '/', o->len) || memchr(v, 0, o->len) || (o->len == 1 && v[0] == '.') ||
            (o->len == 2 && v[0] == '.' && v[1] == '.')) {
            snprintf(err, err_cap, "invalid Uri-Path segment");
            return -1;
        }
        if (n + 1 + o->len >= cap) {
            snprintf(err, err_cap, "target address too long");
            return -1;
        }
        to[n++] = '/';
        memcpy(to + n, v, o->len);
        n += o->len;
    }
    if (n == 0)
        to[n++] = '/';
    to[n] = 0;
    return 0;
}

static int is_json_format(uint32_t cf) {
    return cf == CSE_COAP_CF_JSON || cf == CSE_COAP_CF_M2M_RES_JSON ||
           cf == CSE_COAP_CF_M2M_NTFY_JSON;
}

static int check_formats(const cse_coap_msg_t *msg, char *err, size_t err_cap) {
    const cse_coap_option_t *o = cse_coap_msg_find(msg, CSE_COAP_OPT_CONTENT_FORMAT);
    uint32_t cf;
    if (o && msg->payload_len && (cse_coap_opt_uint(o, &cf) < 0 || !is_json_format(cf))) {
        snprintf(err, err_cap, "unsupported Content-Format (use 50 or 10001)");
        return CSE_RSC_UNSUPPORTED_MEDIA_TYPE;
    }
    o = cse_coap_msg_find(msg, CSE_COAP_OPT_ACCEPT);
    if (o && (cse_coap_opt_uint(o, &cf) < 0 || !is_json_format(cf))) {
        snprintf(err, err_cap, "Accept names a format this CSE cannot produce");
        return CSE_RSC_NOT_ACCEPTABLE;
    }
    return 0;
}

/*
 * The request primitive is the same whatever the binding, so the options are
 * presented to the TS-0009 translation (cse/http/http_request.h) as the
 * headers and query they stand for: one set of rules for FR, RQI, RVI,
 * Content-Type with ty, and every query parameter.
 */
typedef struct http_view {
    const cse_coap_msg_t *msg;
    char from[CSE_MAX_ID], rqi[CSE_MAX_ID], rvi[16];
    int has_from, has_rqi, has_rvi;
    char content_type[96];
    const char *tokens; /* tkns from Uri-Query, as an Authorization value */
} http_view_t;

static const char *view_header(void *ctx, const char *name) {
    http_view_t *v = ctx;
    if (!strcmp(name, "X-M2M-Origin"))
        return v->has_from ? v->from : NULL;
    if (!strcmp(name, "X-M2M-RI"))
        return v->has_rqi ? v->rqi : NULL;
    if (!strcmp(name, "X-M2M-RVI"))
        return v->has_rvi ? v->rvi : NULL;
    if (!strcmp(name, "Content-Type"))
        return v->content_type[0] ? v->content_type : NULL;
    if (!strcmp(name, "Authorization"))
        return v->tokens;
    return NULL; /* Accept was checked on the option */
}

static void view_args(void *ctx, cse_http_arg_fn fn, void *cls) {
    http_view_t *v = ctx;
    char kv[1040];
    const cse_coap_option_t *o = NULL;
    while ((o = cse_coap_msg_next(v->msg, CSE_COAP_OPT_URI_QUERY, o))) {
        if (opt_str(o, kv, sizeof(kv)) < 0)
            continue; /* rejected before the translation runs */
        char *eq = strchr(kv, '=');
        if (eq)
            *eq = 0;
        if (!strcmp(kv, "tkns"))
            continue;
        if (fn(cls, kv, eq ? eq + 1 : NULL))
            return;
    }
}

static const char *media_of(uint32_t cf) {
    return cf == CSE_COAP_CF_M2M_RES_JSON    ? "application/vnd.onem2m-res+json"
           : cf == CSE_COAP_CF_M2M_NTFY_JSON ? "application/vnd.onem2m-ntfy+json"
                                             : "application/json";
}

/* Copies the options the translation reads; tkns goes into tokens_buf. */
static int fill_view(const cse_coap_msg_t *msg, http_view_t *v, char *tokens_buf, size_t tokens_cap,
                     char *err, size_t err_cap) {
    static const struct {
        uint16_t num;
        const char *name;
        size_t off, cap, has;
    } strs[] = {
        {CSE_COAP_OPT_M2M_FR, "oneM2M-FR", offsetof(http_view_t, from), CSE_MAX_ID,
         offsetof(http_view_t, has_from)},
        {CSE_COAP_OPT_M2M_RQI, "oneM2M-RQI", offsetof(http_view_t, rqi), CSE_MAX_ID,
         offsetof(http_view_t, has_rqi)},
        {CSE_COAP_OPT_M2M_RVI, "oneM2M-RVI", offsetof(http_view_t, rvi), 16,
         offsetof(http_view_t, has_rvi)},
    };
    const cse_coap_option_t *o;
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (!(o = cse_coap_msg_find(msg, strs[i].num)))
            continue;
        if (opt_str(o, (char *)v + strs[i].off, strs[i].cap) < 0) {
            snprintf(err, err_cap, "invalid %s option", strs[i].name);
            return -1;
        }
        *(int *)((char *)v + strs[i].has) = 1;
    }
    if (!v->has_rqi || !v->rqi[0]) {
        snprintf(err, err_cap, "missing oneM2M-RQI option");
        return -1;
    }
    char kv[1040];
    for (o = NULL; (o = cse_coap_msg_next(msg, CSE_COAP_OPT_URI_QUERY, o));) {
        if (opt_str(o, kv, sizeof(kv)) < 0) {
            snprintf(err, err_cap, "invalid Uri-Query option");
            return -1;
        }
        if (strncmp(kv, "tkns=", 5) == 0) {
            if (strlen(kv + 5) >= tokens_cap) {
                snprintf(err, err_cap, "tkns too long");
                return -1;
            }
            strcpy(tokens_buf, kv + 5);
            v->tokens = tokens_buf;
        }
    }
    uint32_t cf = CSE_COAP_CF_JSON, ty = 0;
    if ((o = cse_coap_msg_find(msg, CSE_COAP_OPT_CONTENT_FORMAT)))
        cse_coap_opt_uint(o, &cf); /* validated by check_formats */
    if ((o = cse_coap_msg_find(msg, CSE_COAP_OPT_M2M_TY)) &&
        (cse_coap_opt_uint(o, &ty) < 0 || ty == 0 || ty > 65535)) {
        snprintf(err, err_cap, "invalid oneM2M-TY option");
        return -1;
    }
    if (msg->payload_len || ty)
        snprintf(v->content_type, sizeof(v->content_type), ty ? "%s;ty=%u" : "%s", media_of(cf),
                 (unsigned)ty);
    return 0;
}

static const char *method_name(int code) {
    switch (code) {
    case CSE_COAP_GET:
        return "GET";
    case CSE_COAP_POST:
        return "POST";
    case CSE_COAP_PUT:
        return "PUT";
    case CSE_COAP_DELETE:
        return "DELETE";
    }
    return NULL;
}

int cse_coap_onem2m_to_request(const cse_coap_msg_t *msg, cse_request_t *req, char *tokens_buf,
                               size_t tokens_cap, char *err, size_t err_cap) {
    http_view_t v;
    char to[CSE_MAX_TO];
    int rsc;
    const char *method = method_name(msg->code);
    cse_security_context_t sec = req->sec;
    if (!method) {
        snprintf(err, err_cap, "method not allowed");
        return CSE_RSC_OPERATION_NOT_ALLOWED;
    }
    if ((rsc = check_formats(msg, err, err_cap)))
        return rsc;
    memset(&v, 0, sizeof(v));
    v.msg = msg;
    if (fill_view(msg, &v, tokens_buf, tokens_cap, err, err_cap) < 0 ||
        build_to(msg, to, sizeof(to), err, err_cap) < 0)
        return CSE_RSC_BAD_REQUEST;
    cse_http_input_t in = {
        .method = method,
        .path = to,
        .header = view_header,
        .header_ctx = &v,
        .args = view_args,
        .args_ctx = &v,
        .body = (const char *)msg->payload,
        .body_len = msg->payload_len,
    };
    cse_http_error_t herr;
    int failed = cse_http_request_parse(&in, req, &herr);
    /* the binding's own context, with the tokens the translation found */
    const char *tokens = req->sec.onem2m_tokens;
    req->sec = sec;
    req->sec.onem2m_tokens = tokens;
    if (failed) {
        snprintf(err, err_cap, "%s", herr.reason);
        return herr.rsc ? herr.rsc : CSE_RSC_BAD_REQUEST;
    }
    return 0;
}

int cse_coap_onem2m_response_format(const cse_coap_msg_t *msg) {
    uint32_t cf;
    const cse_coap_option_t *o = cse_coap_msg_find(msg, CSE_COAP_OPT_ACCEPT);
    if (o && cse_coap_opt_uint(o, &cf) == 0 && is_json_format(cf))
        return (int)cf;
    o = cse_coap_msg_find(msg, CSE_COAP_OPT_CONTENT_FORMAT);
    if (o && cse_coap_opt_uint(o, &cf) == 0 &&
        (cf == CSE_COAP_CF_JSON || cf == CSE_COAP_CF_M2M_RES_JSON))
        return (int)cf;
    return CSE_COAP_CF_JSON;
}

int cse_coap_onem2m_response_options(cse_coap_msg_t *out, int rsc, const char *rqi, const char *rvi,
                                     int cf, int has_payload, const char *location) {
    int rc = cse_coap_msg_add_uint(out, CSE_COAP_OPT_M2M_RSC, (uint32_t)rsc);
    if (!rc && rqi && *rqi)
        rc = cse_coap_msg_add_str(out, CSE_COAP_OPT_M2M_RQI, rqi);
    if (!rc && rvi && *rvi)
        rc = cse_coap_msg_add_str(out, CSE_COAP_OPT_M2M_RVI, rvi);
    if (!rc && has_payload)
        rc = cse_coap_msg_add_uint(out, CSE_COAP_OPT_CONTENT_FORMAT, (uint32_t)cf);
    for (const char *p = location; !rc && p && *p;) {
        while (*p == '/')
            p++;
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n)
            rc = cse_coap_msg_add(out, CSE_COAP_OPT_LOCATION_PATH, p, n);
        p += n;
    }
    return rc;
}
