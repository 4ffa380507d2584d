/* The registry's answers to plugin events (see registry_events.h). */
#include "plugin/data/registry_events.h"

#include <stdio.h>
#include <string.h>

int cssf_registry_on_psk_lookup(cssf_registry_t *r, cse_evt_psk_lookup_t *ev, int *aaa_backed,
                                char *device, size_t device_cap, char *reason, size_t reason_cap) {
    *aaa_backed = 0;
    reason[0] = '\0';
    if (!r || !ev || ev->version < 1 || !ev->identity || !ev->key)
        return CSE_PLUGIN_DEFER;
    size_t len = 0;
    int answer = cssf_registry_psk(r, ev->identity, ev->key, ev->key_cap, &len, device, device_cap);
    switch (answer) {
    case CSSF_REG_ACTIVE:
        ev->key_len = len;
        return CSE_PLUGIN_OK;
    case CSSF_REG_SUSPENDED:
        snprintf(reason, reason_cap, "device %s is suspended", device);
        return CSE_PLUGIN_DENY;
    case CSSF_REG_AAA:
        *aaa_backed = 1;
        return CSE_PLUGIN_DEFER;
    case CSSF_REG_ERROR:
        snprintf(reason, reason_cap, "the device registry cannot open the key%s%s",
                 device[0] ? " of device " : "", device);
        return CSE_PLUGIN_DENY;
    default:
        return CSE_PLUGIN_DEFER;
    }
}

int cssf_registry_on_cert_check(cssf_registry_t *r, cse_evt_cert_check_t *ev, char *device,
                                size_t device_cap, char *reason, size_t reason_cap) {
    reason[0] = '\0';
    if (!r || !ev || ev->version < 1 || !ev->identity)
        return CSE_PLUGIN_DEFER;
    char identity[CSSF_DEVICE_TEXT_MAX + 16];
    int answer = cssf_registry_cert(r, ev->san_uri, ev->sha256, identity, sizeof(identity), device,
                                    device_cap);
    switch (answer) {
    case CSSF_REG_ACTIVE:
        if (strlen(identity) >= ev->identity_cap) {
            snprintf(reason, reason_cap, "identity of device %s too long", device);
            return CSE_PLUGIN_DENY;
        }
        memcpy(ev->identity, identity, strlen(identity) + 1);
        return CSE_PLUGIN_OK;
    case CSSF_REG_SUSPENDED:
        snprintf(reason, reason_cap, "device %s is suspended", device);
        return CSE_PLUGIN_DENY;
    case CSSF_REG_MISMATCH:
        snprintf(reason, reason_cap, "certificate does not match the one registered for device %s",
                 device);
        return CSE_PLUGIN_DENY;
    case CSSF_REG_ERROR:
        snprintf(reason, reason_cap, "the device registry cannot answer");
        return CSE_PLUGIN_DENY;
    default:
        return CSE_PLUGIN_DEFER;
    }
}

int cssf_registry_check_association(cssf_registry_t *r, const cse_security_context_t *sec,
                                    char *reason, size_t reason_cap) {
    if (!r || !sec || sec->assoc_method == CSE_ASSOC_NONE)
        return 0;
    char device[CSSF_DEVICE_ID_MAX + 1];
    int answer =
        cssf_registry_identity(r, sec->assoc_method, sec->assoc_identity, device, sizeof(device));
    if (answer == CSSF_REG_SUSPENDED) {
        snprintf(reason, reason_cap, "device %s is suspended", device);
        return -1;
    }
    if (answer == CSSF_REG_ERROR) {
        snprintf(reason, reason_cap, "the device registry cannot answer");
        return -1;
    }
    return 0;
}

int cssf_registry_source_may_use(void *ctx, int assoc_method, const char *identity,
                                 const char *from) {
    return ctx ? cssf_registry_may_use(ctx, assoc_method, identity, from) : -1;
}

int cssf_registry_locate_hook(void *arg, const char *originator, double *lat, double *lon,
                              char country[3]) {
    const cssf_registry_locate_ctx_t *c = arg;
    if (!c || !c->registry)
        return -1;
    const cse_security_context_t *sec = c->sec;
    return cssf_registry_locate(c->registry, sec ? sec->assoc_method : CSE_ASSOC_NONE,
                                sec ? sec->assoc_identity : NULL, originator, lat, lon, country);
}
