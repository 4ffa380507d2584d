/*
 * Test plugin: records every event it sees as one JSON line in a file, and
 * answers as its options say, so tests can prove what the host passed and in
 * which order chains and cleanups ran.
 *
 * Options:
 *   record_file        file the lines are appended to (required)
 *   name               tag written in every line (default "record")
 *   answer             ok | deny | defer | <number> for every event except
 *                      HTTP_ROUTE (default defer)
 *   answer_<event>     the same for one event, e.g. answer_authorize = deny;
 *                      HTTP_ROUTE defers (serves nothing) unless answer_http_route
 *                      says otherwise, since it would claim every HTTP path
 *   identity           AUTHENTICATE ok: identity to set (default: the From)
 *   authenticated      AUTHENTICATE ok: value of authenticated (default 0)
 *   is_admin           AUTHENTICATE ok: value of is_admin (default 0)
 *
 * Lines: {"plugin":NAME,"event":"INIT","options":{...},"register_...":rc},
 * one per event with its key inputs and "answer", and "CLEANUP" at unload.
 * On RELOAD it also tries to register a callback (outside init) and records
 * the result as "late_register".
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/host.h"
#include "cse/plugin.h"

#define ANSWER_UNSET (-1000)

typedef struct record_state {
    cse_plugin_t *plugin; /* kept only to prove late registration is refused */
    FILE *out;
    pthread_mutex_t lock; /* one line at a time */
    char name[64];
    int answer;                  /* default result */
    int answers[CSE_EVT_COUNT_]; /* per event, ANSWER_UNSET = default */
    char identity[256];
    int authenticated;
    int is_admin;
} record_state_t;

static const char *const event_names[CSE_EVT_COUNT_] = {
    [CSE_EVT_AUTHENTICATE] = "authenticate", [CSE_EVT_AUTHORIZE] = "authorize",
    [CSE_EVT_REGISTER_AE] = "register_ae",   [CSE_EVT_DEREGISTER_AE] = "deregister_ae",
    [CSE_EVT_PSK_LOOKUP] = "psk_lookup",     [CSE_EVT_CERT_CHECK] = "cert_check",
    [CSE_EVT_ACCOUNTING] = "accounting",     [CSE_EVT_RELOAD] = "reload",
    [CSE_EVT_HTTP_ROUTE] = "http_route",
};

/* --- a bounded JSON line ------------------------------------------------ */

typedef struct line {
    char buf[8192];
    size_t len;
    int fields;
} line_t;

static void line_raw(line_t *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_raw(line_t *l, const char *fmt, ...) {
    if (l->len >= sizeof(l->buf))
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len = l->len + (size_t)n < sizeof(l->buf) ? l->len + (size_t)n : sizeof(l->buf) - 1;
}

static void line_string(line_t *l, const char *s) {
    line_raw(l, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            line_raw(l, "\\%c", c);
        else if (c < 0x20)
            line_raw(l, "\\u%04x", c);
        else
            line_raw(l, "%c", c);
    }
    line_raw(l, "\"");
}

static void line_key(line_t *l, const char *key) {
    line_raw(l, "%s", l->fields++ ? "," : "");
    line_string(l, key);
    line_raw(l, ":");
}

static void line_str(line_t *l, const char *key, const char *value) {
    line_key(l, key);
    if (value)
        line_string(l, value);
    else
        line_raw(l, "null");
}

static void line_int(line_t *l, const char *key, long long value) {
    line_key(l, key);
    line_raw(l, "%lld", value);
}

static void line_begin(line_t *l, const record_state_t *st, const char *event) {
    l->len = 0;
    l->fields = 0;
    line_raw(l, "{");
    line_str(l, "plugin", st->name);
    line_str(l, "event", event);
}

static void line_write(record_state_t *st, line_t *l) {
    line_raw(l, "}");
    pthread_mutex_lock(&st->lock);
    fprintf(st->out, "%s\n", l->buf);
    fflush(st->out);
    pthread_mutex_unlock(&st->lock);
}

/* --- answers ------------------------------------------------------------- */

static int parse_answer(const char *v) {
    if (strcmp(v, "ok") == 0)
        return CSE_PLUGIN_OK;
    if (strcmp(v, "deny") == 0)
        return CSE_PLUGIN_DENY;
    if (strcmp(v, "defer") == 0)
        return CSE_PLUGIN_DEFER;
    return atoi(v); /* any other number: tests the host's handling of nonsense */
}

static const char *answer_name(int r) {
    return r == CSE_PLUGIN_OK      ? "ok"
           : r == CSE_PLUGIN_DENY  ? "deny"
           : r == CSE_PLUGIN_DEFER ? "defer"
                                   : "other";
}

static void deny_reason(const record_state_t *st, int *rsc, int code, char **reason) {
    char text[128];
    snprintf(text, sizeof(text), "denied by %s", st->name);
    *rsc = code;
    *reason = cse_strdup(text);
}

/* --- per-event recording and outputs ------------------------------------ */

static void record_sec(line_t *l, const cse_security_context_t *sec) {
    if (!sec)
        return;
    line_int(l, "binding", sec->binding);
    line_int(l, "assoc_method", sec->assoc_method);
    line_str(l, "assoc_identity", sec->assoc_identity);
    line_int(l, "has_bearer", sec->bearer_token != NULL);
}

static void on_authenticate(record_state_t *st, line_t *l, cse_evt_authenticate_t *e, int r) {
    line_int(l, "version", e->version);
    record_sec(l, e->sec);
    line_str(l, "from", e->from);
    line_int(l, "operation", e->operation);
    line_int(l, "resource_type", e->resource_type);
    line_str(l, "to", e->to);
    line_str(l, "rqi", e->rqi);
    if (r == CSE_PLUGIN_OK) {
        const char *id = st->identity[0] ? st->identity : e->from ? e->from : "";
        if (e->identity && e->identity_cap)
            snprintf(e->identity, e->identity_cap, "%s", id);
        e->authenticated = st->authenticated;
        e->is_admin = st->is_admin;
    } else if (r == CSE_PLUGIN_DENY) {
        deny_reason(st, &e->rsc, 4106, &e->reason);
    }
}

static void on_authorize(record_state_t *st, line_t *l, cse_evt_authorize_t *e, int r) {
    line_int(l, "version", e->version);
    record_sec(l, e->sec);
    line_str(l, "originator", e->originator);
    line_int(l, "authenticated", e->authenticated);
    line_int(l, "is_admin", e->is_admin);
    line_int(l, "operation", e->operation);
    line_int(l, "create_ty", e->create_ty);
    line_str(l, "rqi", e->rqi);
    if (e->target) {
        line_str(l, "target_ri", e->target->ri);
        line_str(l, "target_path", e->target->path);
        line_int(l, "target_ty", e->target->ty);
    }
    line_str(l, "parent_ri", e->parent ? e->parent->ri : NULL);
    if (r == CSE_PLUGIN_DENY)
        deny_reason(st, &e->rsc, 4103, &e->reason);
}

static void on_register_ae(record_state_t *st, line_t *l, cse_evt_register_ae_t *e, int r) {
    line_int(l, "version", e->version);
    line_str(l, "from", e->from);
    line_str(l, "aei", e->aei);
    line_str(l, "api", e->api);
    line_str(l, "rn", e->rn);
    line_int(l, "authenticated", e->authenticated);
    if (r == CSE_PLUGIN_DENY)
        deny_reason(st, &e->rsc, 4126, &e->reason);
}

static void on_accounting(line_t *l, const cse_evt_accounting_t *e) {
    line_int(l, "version", e->version);
    line_int(l, "kind", e->kind);
    line_str(l, "originator", e->originator);
    line_int(l, "operation", e->operation);
    line_str(l, "to", e->to);
    line_str(l, "rqi", e->rqi);
    line_int(l, "rsc", e->rsc);
    line_int(l, "authorized", e->authorized);
    if (e->version >= 2)
        line_str(l, "aei", e->aei);
}

static void on_reload(record_state_t *st, line_t *l, cse_evt_reload_t *e, int r,
                      cse_plugin_callback_fn self) {
    line_int(l, "version", e->version);
    line_int(l, "late_register", cse_callback_register(st->plugin, CSE_EVT_ACCOUNTING, self, st));
    if (r == CSE_PLUGIN_DENY)
        e->reason = cse_strdup("reload denied by option");
}

static void on_http_route(record_state_t *st, line_t *l, cse_evt_http_route_t *e, int r) {
    line_str(l, "method", e->method);
    line_str(l, "path", e->path);
    if (r != CSE_PLUGIN_OK)
        return;
    line_t body;
    line_begin(&body, st, "http_route");
    line_str(&body, "path", e->path);
    line_raw(&body, "}");
    e->status = 200;
    e->response_body = cse_strdup(body.buf);
    snprintf(e->response_content_type, sizeof(e->response_content_type), "application/json");
}

static int record_cb(int event, void *event_data, void *userdata) {
    record_state_t *st = userdata;
    int r = st->answers[event] != ANSWER_UNSET ? st->answers[event] : st->answer;
    line_t l;
    line_begin(&l, st, event_names[event] ? event_names[event] : "?");
    switch (event) {
    case CSE_EVT_AUTHENTICATE:
        on_authenticate(st, &l, event_data, r);
        break;
    case CSE_EVT_AUTHORIZE:
        on_authorize(st, &l, event_data, r);
        break;
    case CSE_EVT_REGISTER_AE:
        on_register_ae(st, &l, event_data, r);
        break;
    case CSE_EVT_DEREGISTER_AE: {
        const cse_evt_deregister_ae_t *e = event_data;
        line_str(&l, "aei", e->aei);
        line_str(&l, "reason", e->reason);
        break;
    }
    case CSE_EVT_PSK_LOOKUP: {
        const cse_evt_psk_lookup_t *e = event_data;
        line_str(&l, "identity", e->identity);
        break;
    }
    case CSE_EVT_CERT_CHECK: {
        cse_evt_cert_check_t *e = event_data;
        line_str(&l, "san_uri", e->san_uri);
        if (r == CSE_PLUGIN_OK && e->identity && e->identity_cap)
            snprintf(e->identity, e->identity_cap, "%s", e->san_uri ? e->san_uri : "");
        break;
    }
    case CSE_EVT_ACCOUNTING:
        on_accounting(&l, event_data);
        break;
    case CSE_EVT_RELOAD:
        on_reload(st, &l, event_data, r, record_cb);
        break;
    case CSE_EVT_HTTP_ROUTE:
        on_http_route(st, &l, event_data, r);
        break;
    default:
        break;
    }
    line_str(&l, "answer", answer_name(r));
    line_write(st, &l);
    return r;
}

/* --- entry points -------------------------------------------------------- */

CSE_PLUGIN_EXPORT int cse_plugin_version(int count, const int *supported) {
    for (int i = 0; i < count; i++)
        if (supported[i] == CSE_PLUGIN_ABI_VERSION)
            return CSE_PLUGIN_ABI_VERSION;
    return -1;
}

static int apply_option(record_state_t *st, const char *key, const char *value) {
    if (strcmp(key, "name") == 0)
        snprintf(st->name, sizeof(st->name), "%s", value);
    else if (strcmp(key, "answer") == 0)
        st->answer = parse_answer(value);
    else if (strcmp(key, "identity") == 0)
        snprintf(st->identity, sizeof(st->identity), "%s", value);
    else if (strcmp(key, "authenticated") == 0)
        st->authenticated = atoi(value);
    else if (strcmp(key, "is_admin") == 0)
        st->is_admin = atoi(value);
    else if (strncmp(key, "answer_", 7) == 0) {
        for (int e = 1; e < CSE_EVT_COUNT_; e++) {
            if (strcmp(key + 7, event_names[e]) == 0) {
                st->answers[e] = parse_answer(value);
                return 0;
            }
        }
        return -1;
    }
    return 0;
}

static void record_init_line(record_state_t *st, const cse_plugin_opt_t *opts, int nopts,
                             int rc_zero, int rc_past_end, int rc_dup, int rc_null) {
    line_t l;
    line_begin(&l, st, "init");
    line_key(&l, "options");
    line_raw(&l, "{");
    for (int i = 0; i < nopts; i++) {
        line_raw(&l, "%s", i ? "," : "");
        line_string(&l, opts[i].key);
        line_raw(&l, ":");
        line_string(&l, opts[i].value);
    }
    line_raw(&l, "}");
    line_int(&l, "register_event_0", rc_zero);
    line_int(&l, "register_event_past_end", rc_past_end);
    line_int(&l, "register_duplicate", rc_dup);
    line_int(&l, "register_null_fn", rc_null);
    line_write(st, &l);
}

CSE_PLUGIN_EXPORT int cse_plugin_init(cse_plugin_t *plugin, void **userdata,
                                      const cse_plugin_opt_t *opts, int nopts) {
    record_state_t *st = calloc(1, sizeof(*st));
    const char *path = NULL;
    if (!st)
        return 1;
    st->plugin = plugin;
    st->answer = CSE_PLUGIN_DEFER;
    snprintf(st->name, sizeof(st->name), "record");
    for (int e = 0; e < CSE_EVT_COUNT_; e++)
        st->answers[e] = ANSWER_UNSET;
    st->answers[CSE_EVT_HTTP_ROUTE] = CSE_PLUGIN_DEFER;
    for (int i = 0; i < nopts; i++) {
        if (strcmp(opts[i].key, "record_file") == 0)
            path = opts[i].value;
        else if (apply_option(st, opts[i].key, opts[i].value) != 0) {
            cse_log(CSE_LOG_ERROR, "plugin_record: unknown option %s", opts[i].key);
            free(st);
            return 2;
        }
    }
    if (!path || !(st->out = fopen(path, "a"))) {
        cse_log(CSE_LOG_ERROR, "plugin_record: record_file missing or not writable");
        free(st);
        return 2;
    }
    pthread_mutex_init(&st->lock, NULL);
    for (int e = CSE_EVT_AUTHENTICATE; e < CSE_EVT_COUNT_; e++) {
        if (cse_callback_register(plugin, e, record_cb, st) != 0) {
            fclose(st->out);
            pthread_mutex_destroy(&st->lock);
            free(st);
            return 1;
        }
    }
    /* Registrations the host must refuse. */
    int rc_zero = cse_callback_register(plugin, 0, record_cb, st);
    int rc_past_end = cse_callback_register(plugin, CSE_EVT_COUNT_ + 7, record_cb, st);
    int rc_dup = cse_callback_register(plugin, CSE_EVT_AUTHORIZE, record_cb, st);
    int rc_null = cse_callback_register(plugin, CSE_EVT_AUTHORIZE, NULL, st);
    record_init_line(st, opts, nopts, rc_zero, rc_past_end, rc_dup, rc_null);
    *userdata = st;
    return 0;
}

CSE_PLUGIN_EXPORT int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts, int nopts) {
    record_state_t *st = userdata;
    line_t l;
    line_begin(&l, st, "cleanup");
    line_int(&l, "options_count", nopts);
    line_str(&l, "first_option", nopts > 0 ? opts[0].key : NULL);
    line_write(st, &l);
    fclose(st->out);
    pthread_mutex_destroy(&st->lock);
    free(st);
    return 0;
}
