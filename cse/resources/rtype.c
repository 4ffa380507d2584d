#include "cse/resources/rtype.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const cse_rtype_t *const types[] = {
    &cse_rtype_acp, &cse_rtype_ae, &cse_rtype_cnt, &cse_rtype_cin, &cse_rtype_cse_base,
};

const cse_rtype_t *cse_rtype_find(int ty) {
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (types[i]->ty == ty)
            return types[i];
    return NULL;
}

const char *cse_rtype_wrapper(int ty) {
    const cse_rtype_t *t = cse_rtype_find(ty);
    return t ? t->wrapper : "m2m:res";
}

const cse_rtype_t *cse_rtype_by_wrapper(const char *name) {
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(types[i]->wrapper, name) == 0)
            return types[i];
    return NULL;
}

int cse_op_fail(cse_op_t *op, int rsc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(op->err, sizeof(op->err), fmt, ap);
    va_end(ap);
    return rsc;
}
