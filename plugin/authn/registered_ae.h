/*
 * "Is an <AE> with this AE-ID registered here?" for originators that claim
 * an AE-ID without a security association (every such request asks). The
 * first answer reads the resource from the host and checks it is an AE
 * whose ri is exactly the AE-ID; later answers only check that the
 * resource found under that ri still has the revision then seen.
 * Revisions are unique across the CSE, so the same revision is the same
 * AE; any change or deletion makes it read again. Thread-safe (striped
 * locks); bounded memory (a fixed table, newer entries replace older).
 * Owner: plugin/authn.
 */
#ifndef CSSF_AUTHN_REGISTERED_AE_H
#define CSSF_AUTHN_REGISTERED_AE_H

typedef struct cssf_registered_ae cssf_registered_ae_t;

cssf_registered_ae_t *cssf_registered_ae_create(void);
void cssf_registered_ae_destroy(cssf_registered_ae_t *c);

/* 1 if an <AE> whose ri is ri is registered (and not expired), else 0. */
int cssf_registered_ae(cssf_registered_ae_t *c, const char *ri);

#endif
