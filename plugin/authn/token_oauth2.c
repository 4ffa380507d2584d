/* liboauth2 runtime (see token_oauth2.h). */
#include "plugin/authn/token_oauth2.h"

#include <oauth2/cfg.h>
#include <oauth2/http.h>
#include <oauth2/log.h>
#include <oauth2/mem.h>
#include <oauth2/oauth2.h>
#include <oauth2/util.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/host.h"

#pragma weak cse_log

/* liboauth2's verification results go into this cache and are never read
 * back (expiry=0): the name is the plugin's, so no other verifier shares it. */
#define PRIVATE_CACHE "cssf-none"
#define VERIFY_OPTIONS                                                                             \
    "verify.cache=" PRIVATE_CACHE "&expiry=0&verify.exp=skip&verify.iat=skip&verify.iss=skip"

struct cssf_oauth2 {
    oauth2_log_t *log;
    pthread_mutex_t verify_lock;
};

/* liboauth2 writes tokens and request details into its messages: only a
 * short prefix of warnings and errors reaches the CSE log, at debug level;
 * the plugin logs what an operator needs itself. */
static void sink(oauth2_log_sink_t *s, const char *file, unsigned long line, const char *fn,
                 oauth2_log_level_t level, const char *msg) {
    (void)s;
    (void)file;
    (void)line;
    if (cse_log)
        cse_log(CSE_LOG_DEBUG, "cssf: liboauth2 %s: %.80s", fn ? fn : "", msg ? msg : "");
}

cssf_oauth2_t *cssf_oauth2_open(char *err, size_t err_cap) {
    cssf_oauth2_t *rt = calloc(1, sizeof(*rt));
    if (!rt) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&rt->verify_lock, NULL);
    oauth2_log_sink_t *s = oauth2_log_sink_create(OAUTH2_LOG_WARN, sink, NULL);
    rt->log = s ? oauth2_init(OAUTH2_LOG_WARN, s) : NULL;
    if (!rt->log) {
        snprintf(err, err_cap, "cannot initialise liboauth2");
        goto fail;
    }
    char *rv = oauth2_cfg_set_cache(rt->log, NULL, "shm",
                                    "name=" PRIVATE_CACHE "&max_entries=2&max_val_size=65536");
    if (rv) {
        snprintf(err, err_cap, "liboauth2 cache: %.200s", rv);
        oauth2_mem_free(rv);
        goto fail;
    }
    return rt;
fail:
    cssf_oauth2_close(rt);
    return NULL;
}

void cssf_oauth2_close(cssf_oauth2_t *rt) {
    if (!rt)
        return;
    if (rt->log)
        oauth2_shutdown(rt->log);
    pthread_mutex_destroy(&rt->verify_lock);
    free(rt);
}

cssf_oauth2_verifier_t *cssf_oauth2_verifier_new(cssf_oauth2_t *rt, const char *jwk_json, char *err,
                                                 size_t err_cap) {
    oauth2_cfg_token_verify_t *v = NULL;
    pthread_mutex_lock(&rt->verify_lock);
    char *rv = oauth2_cfg_token_verify_add_options(rt->log, &v, "jwk", jwk_json, VERIFY_OPTIONS);
    if ((rv || !v) && v) {
        oauth2_cfg_token_verify_free(rt->log, v);
        v = NULL;
    }
    pthread_mutex_unlock(&rt->verify_lock);
    if (!v) {
        snprintf(err, err_cap, "liboauth2 refused the key: %.200s", rv ? rv : "no verifier");
        if (rv)
            oauth2_mem_free(rv);
        return NULL;
    }
    return v;
}

void cssf_oauth2_verifier_free(cssf_oauth2_t *rt, cssf_oauth2_verifier_t *v) {
    if (!v)
        return;
    pthread_mutex_lock(&rt->verify_lock);
    oauth2_cfg_token_verify_free(rt->log, v);
    pthread_mutex_unlock(&rt->verify_lock);
}

int cssf_oauth2_verify(cssf_oauth2_t *rt, cssf_oauth2_verifier_t *v, const char *token,
                       json_t **claims) {
    *claims = NULL;
    pthread_mutex_lock(&rt->verify_lock);
    bool ok = oauth2_token_verify(rt->log, NULL, v, token, claims);
    pthread_mutex_unlock(&rt->verify_lock);
    if (!ok || !json_is_object(*claims)) {
        json_decref(*claims);
        *claims = NULL;
        return 0;
    }
    return 1;
}

int cssf_oauth2_http(cssf_oauth2_t *rt, const cssf_oauth2_http_t *req, long *status, char **body,
                     char *err, size_t err_cap) {
    int rc = -1;
    char *response = NULL;
    oauth2_http_status_code_t code = 0;
    oauth2_nv_list_t *params = NULL;
    oauth2_http_call_ctx_t *ctx = oauth2_http_call_ctx_init(rt->log);
    *body = NULL;
    if (!ctx) {
        snprintf(err, err_cap, "out of memory");
        goto out;
    }
    oauth2_http_call_ctx_timeout_set(rt->log, ctx, req->timeout > 0 ? req->timeout : 1);
    if (req->basic_user)
        oauth2_http_call_ctx_basic_auth_set(rt->log, ctx, req->basic_user,
                                            req->basic_pass ? req->basic_pass : "", true);
    bool ok;
    if (req->form) {
        params = oauth2_nv_list_init(rt->log);
        for (int i = 0; params && i < req->nform; i++)
            oauth2_nv_list_add(rt->log, params, req->form[2 * i], req->form[2 * i + 1]);
        ok = params && oauth2_http_post_form(rt->log, req->url, params, ctx, &response, &code);
    } else {
        ok = oauth2_http_get(rt->log, req->url, NULL, ctx, &response, &code);
    }
    if (!ok || !response) {
        snprintf(err, err_cap, "%s", code == 504 ? "timed out" : "no answer (unreachable)");
        goto out;
    }
    *body = strdup(response);
    if (!*body) {
        snprintf(err, err_cap, "out of memory");
        goto out;
    }
    *status = (long)code;
    rc = 0;
out:
    if (response)
        oauth2_mem_free(response);
    if (params)
        oauth2_nv_list_free(rt->log, params);
    if (ctx)
        oauth2_http_call_ctx_free(rt->log, ctx);
    return rc;
}
