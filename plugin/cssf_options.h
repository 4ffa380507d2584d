/*
 * The plugin's [plugin] options (see docs/policies.md): parsed once at
 * init into a plain struct; unknown keys and bad values are errors.
 */
#ifndef CSSF_OPTIONS_H
#define CSSF_OPTIONS_H

#include <limits.h>
#include <stddef.h>

#include "cse/plugin.h"

typedef struct cssf_options {
    char policy_dir[PATH_MAX];      /* "policies" */
    int authn_mode;                 /* enum cssf_authn_mode, default required */
    int trust_claimed_admin;        /* only with optional */
    char audit_file[PATH_MAX];      /* "audit.log" */
    size_t audit_max_bytes;         /* 10 MiB; 0 = never rotate */
    char check_policies[PATH_MAX];  /* "" = normal start */
    char master_key_file[PATH_MAX]; /* "" = master.key beside the store (registry) */
} cssf_options_t;

/* Fills o from opts over the defaults. 0, or -1 with a message in err. */
int cssf_options_parse(cssf_options_t *o, const cse_plugin_opt_t *opts, int nopts, char *err,
                       size_t err_cap);

#endif
