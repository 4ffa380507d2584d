/*
 * ACP evaluation over parsed policies (TS-0003 §7.1): rule matching and the
 * permit-overrides decision. No I/O: everything about the request comes in
 * a cssf_eval_ctx_t; the time and the originator's location are looked up
 * at most once per decision, and only when a rule needs them.
 * Owner: plugin/authz.
 */
#ifndef CSSF_AUTHZ_ACP_EVAL_H
#define CSSF_AUTHZ_ACP_EVAL_H

#include <stddef.h>
#include <time.h>

#include "plugin/authz/acp.h"
#include "plugin/authz/authorize.h"

enum cssf_match {
    CSSF_INDETERMINATE = -1,
    CSSF_NO_MATCH = 0,
    CSSF_MATCH = 1,
};

/* The request as the rules see it. Fill the inputs; zero the rest. */
typedef struct cssf_eval_ctx {
    const char *orig_raw;  /* originator as authenticated */
    const char *orig_norm; /* its absolute form (cssf_id_normalize) */
    size_t orig_len;       /* strlen(orig_norm); 0 = not yet measured */
    int authenticated;
    unsigned op_bit;            /* enum cse_acop of the operation */
    int create_ty;              /* type to create (CREATE only) */
    int target_ty;              /* ty of the target (the parent for CREATE) */
    const cssf_ip_peer_t *peer; /* NULL = source address unknown */
    time_t now;
    const cssf_authz_env_t *env; /* may be NULL */
    /* looked up on first use */
    int have_utc;
    struct tm utc;
    int have_loc;
    cssf_location_t loc;
} cssf_eval_ctx_t;

/* The acop bit of an operation (enum cse_operation), 0 when unknown. */
unsigned cssf_acop_of_operation(int operation);

/* 1 when one accessControlContext holds now (actw AND acip AND aclr). */
int cssf_acco_match(const cssf_acco_t *x, cssf_eval_ctx_t *ctx);

/* 1 when one accessControlObjectDetails entry admits the request. */
int cssf_acod_match(const cssf_acod_t *d, const cssf_eval_ctx_t *ctx);

/* enum cssf_match for one rule. */
int cssf_acr_match(const cssf_acr_t *r, cssf_eval_ctx_t *ctx);

/*
 * Permit-overrides over the pv (or, with use_pvs, pvs) rules of n ACPs;
 * acps[i] NULL means ris[i] does not exist. Returns CSE_PLUGIN_OK with
 * "acp=<ri> rule=<i>" ("acp=<ri> pvs rule=<i>") in out, or CSE_PLUGIN_DENY
 * with the first indeterminate reason or "no rule of acp=... matches".
 */
int cssf_acp_decide(const cssf_res_t *const *acps, const char *const *ris, int n, int use_pvs,
                    cssf_eval_ctx_t *ctx, char *out, size_t cap);

#endif
