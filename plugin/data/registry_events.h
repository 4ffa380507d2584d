/*
 * The registry's part in the plugin's events: PSK_LOOKUP and CERT_CHECK
 * answers, the association check of AUTHENTICATE, the identity source for
 * the From check (authn.h) and the locate hook of aclr (authorize.h).
 * Each returns a plugin result and a reason for the audit line; none
 * writes the audit log itself. Owner: plugin/data (registry).
 */
#ifndef CSSF_DATA_REGISTRY_EVENTS_H
#define CSSF_DATA_REGISTRY_EVENTS_H

#include <stddef.h>

#include "cse/plugin.h"
#include "plugin/data/registry.h"

/*
 * PSK_LOOKUP: OK with the device's key in ev->key; DENY for a suspended
 * device or a record that cannot be opened (reason set); DEFER when no
 * device has the identity or the device is AAA-backed (*aaa_backed = 1:
 * only RADIUS may answer). device gets the device id when one was found.
 */
int cssf_registry_on_psk_lookup(cssf_registry_t *r, cse_evt_psk_lookup_t *ev, int *aaa_backed,
                                char *device, size_t device_cap, char *reason, size_t reason_cap);

/*
 * CERT_CHECK: OK with ev->identity bound (SAN, or "sha256:<hex>"); DENY for
 * a suspended device or a certificate that only half matches a device;
 * DEFER when no device knows the certificate.
 */
int cssf_registry_on_cert_check(cssf_registry_t *r, cse_evt_cert_check_t *ev, char *device,
                                size_t device_cap, char *reason, size_t reason_cap);

/*
 * AUTHENTICATE, before the From check: 0 when the association may go on
 * (no device behind it, or an active one), -1 with a reason when its
 * device is suspended or the registry cannot answer (fail closed).
 */
int cssf_registry_check_association(cssf_registry_t *r, const cse_security_context_t *sec,
                                    char *reason, size_t reason_cap);

/* Identity source for authn (ctx: the registry): 1 may use, 0 may not,
 * -1 no device has this identity. */
int cssf_registry_source_may_use(void *ctx, int assoc_method, const char *identity,
                                 const char *from);

/* Argument of cssf_registry_locate_hook: the registry and the request's
 * security context (borrowed for the AUTHORIZE call). */
typedef struct cssf_registry_locate_ctx {
    cssf_registry_t *registry;
    const cse_security_context_t *sec;
} cssf_registry_locate_ctx_t;

/* The locate hook of cssf_authz_env_t (arg: cssf_registry_locate_ctx_t). */
int cssf_registry_locate_hook(void *arg, const char *originator, double *lat, double *lon,
                              char country[3]);

#endif
