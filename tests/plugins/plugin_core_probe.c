/*
 * Test plugin for the request pipeline: records what AUTHORIZE,
 * REGISTER_AE, DEREGISTER_AE and ACCOUNTING receive (one JSON line each,
 * with the full resource views) and denies selectively.
 *
 * Options:
 *   record_file   file the lines are appended to (required)
 *   deny_rn       AUTHORIZE denies (4103, "probe: denied <rn>") when the
 *                 target's rn equals this value
 *   deny_op       restricts deny_rn to one operation number (6 = DISCOVERY)
 *   deny_register REGISTER_AE denies (4126) an AE with this rn
 * AUTHENTICATE takes From as the identity (authenticated = 1).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/host.h"
#include "cse/plugin.h"

typedef struct probe {
    FILE *out;
    pthread_mutex_t lock;
    char deny_rn[128], deny_register[128];
    int deny_op;
} probe_t;

static void put_view(FILE *f, const char *key, const cse_resource_view_t *v) {
    if (!v) {
        fprintf(f, ",\"%s\":null", key);
        return;
    }
    fprintf(f, ",\"%s\":{\"ri\":\"%s\",\"rn\":\"%s\",\"pi\":\"%s\",\"path\":\"%s\",\"ty\":%d,", key,
            v->ri, v->rn, v->pi, v->path, v->ty);
    fprintf(f, "\"creator\":%s%s%s,\"has_acpi\":%d,\"revision\":%llu,\"acpi\":[",
            v->creator ? "\"" : "", v->creator ? v->creator : "null", v->creator ? "\"" : "",
            v->has_acpi, (unsigned long long)v->revision);
    for (int i = 0; i < v->acpi_count; i++)
        fprintf(f, "%s\"%s\"", i ? "," : "", v->acpi[i]);
    fputs("]}", f);
}

static int probe_cb(int event, void *data, void *userdata) {
    probe_t *p = userdata;
    int rc = CSE_PLUGIN_OK;
    pthread_mutex_lock(&p->lock);
    switch (event) {
    case CSE_EVT_AUTHENTICATE: {
        cse_evt_authenticate_t *e = data;
        snprintf(e->identity, e->identity_cap, "%s", e->from ? e->from : "");
        e->authenticated = 1;
        break;
    }
    case CSE_EVT_AUTHORIZE: {
        cse_evt_authorize_t *e = data;
        fprintf(p->out,
                "{\"event\":\"authorize\",\"op\":%d,\"create_ty\":%d,\"originator\":\"%s\","
                "\"updates_acpi\":%d,\"updates_only_acpi\":%d",
                e->operation, e->create_ty, e->originator, e->updates_acpi, e->updates_only_acpi);
        put_view(p->out, "target", e->target);
        put_view(p->out, "parent", e->parent);
        fputs("}\n", p->out);
        if (p->deny_rn[0] && strcmp(e->target->rn, p->deny_rn) == 0 &&
            (!p->deny_op || p->deny_op == e->operation)) {
            e->rsc = 4103;
            char reason[160];
            snprintf(reason, sizeof(reason), "probe: denied %s", e->target->rn);
            e->reason = cse_strdup(reason);
            rc = CSE_PLUGIN_DENY;
        }
        break;
    }
    case CSE_EVT_REGISTER_AE: {
        cse_evt_register_ae_t *e = data;
        fprintf(p->out, "{\"event\":\"register_ae\",\"aei\":\"%s\",\"rn\":\"%s\",\"api\":\"%s\"}\n",
                e->aei, e->rn ? e->rn : "", e->api ? e->api : "");
        if (p->deny_register[0] && e->rn && strcmp(e->rn, p->deny_register) == 0) {
            e->rsc = 4126;
            e->reason = cse_strdup("probe: registration refused");
            rc = CSE_PLUGIN_DENY;
        }
        break;
    }
    case CSE_EVT_DEREGISTER_AE: {
        cse_evt_deregister_ae_t *e = data;
        fprintf(p->out, "{\"event\":\"deregister_ae\",\"aei\":\"%s\",\"reason\":\"%s\"}\n", e->aei,
                e->reason);
        break;
    }
    case CSE_EVT_ACCOUNTING: {
        cse_evt_accounting_t *e = data;
        fprintf(p->out, "{\"event\":\"accounting\",\"op\":%d,\"rsc\":%d,\"authorized\":%d}\n",
                e->operation, e->rsc, e->authorized);
        break;
    }
    default:
        rc = CSE_PLUGIN_DEFER;
    }
    fflush(p->out);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

CSE_PLUGIN_EXPORT int cse_plugin_version(int count, const int *supported) {
    for (int i = 0; i < count; i++)
        if (supported[i] == CSE_PLUGIN_ABI_VERSION)
            return CSE_PLUGIN_ABI_VERSION;
    return -1;
}

CSE_PLUGIN_EXPORT int cse_plugin_init(cse_plugin_t *plugin, void **userdata,
                                      const cse_plugin_opt_t *opts, int nopts) {
    probe_t *p = calloc(1, sizeof(*p));
    if (!p)
        return 1;
    pthread_mutex_init(&p->lock, NULL);
    for (int i = 0; i < nopts; i++) {
        if (strcmp(opts[i].key, "record_file") == 0)
            p->out = fopen(opts[i].value, "a");
        else if (strcmp(opts[i].key, "deny_rn") == 0)
            snprintf(p->deny_rn, sizeof(p->deny_rn), "%s", opts[i].value);
        else if (strcmp(opts[i].key, "deny_op") == 0)
            p->deny_op = atoi(opts[i].value);
        else if (strcmp(opts[i].key, "deny_register") == 0)
            snprintf(p->deny_register, sizeof(p->deny_register), "%s", opts[i].value);
    }
    *userdata = p;
    if (!p->out)
        return 1;
    static const int events[] = {CSE_EVT_AUTHENTICATE, CSE_EVT_AUTHORIZE, CSE_EVT_REGISTER_AE,
                                 CSE_EVT_DEREGISTER_AE, CSE_EVT_ACCOUNTING};
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
        if (cse_callback_register(plugin, events[i], probe_cb, p) != 0)
            return 1;
    return 0;
}

CSE_PLUGIN_EXPORT int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts, int nopts) {
    (void)opts;
    (void)nopts;
    probe_t *p = userdata;
    if (p) {
        if (p->out)
            fclose(p->out);
        pthread_mutex_destroy(&p->lock);
        free(p);
    }
    return 0;
}
