/*
 * Target addressing (TS-0004 §6.2.3, TS-0009 §6.2): CSE-relative structured
 * "/cse-in/ae1", unstructured "/<ri>" (and hybrid "/<ri>/child"),
 * SP-relative "/~/<csi>/..." (or "/<csi>/..."), absolute "/_/<spid>/<csi>/..."
 * (or "//<spid>/<csi>/..."), and the virtual children "la" / "ol" of a
 * container. Resolution needs the tree's read (or write) lock.
 */
#ifndef CSE_CORE_ADDRESS_H
#define CSE_CORE_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#include "cse/core/tree.h"

enum cse_virtual { CSE_VIRTUAL_NONE = 0, CSE_VIRTUAL_LA = 1, CSE_VIRTUAL_OL = 2 };

/* Sets this CSE's CSE-ID ("/id-in") and SP-ID ("//example.net" or "").
 * The strings are copied. */
void cse_address_configure(const char *cse_id, const char *sp_id);

/*
 * Resolves to. On success returns 0 and sets *res (for la/ol: the instance)
 * and *virt. Expired resources (now_us) are not found. On failure returns
 * 4004, or 5103 for another CSE or SP, with a reason in err.
 */
int cse_address_resolve(const char *to, int64_t now_us, cse_res_t **res, int *virt, char *err,
                        size_t cap);

#endif
