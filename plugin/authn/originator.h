/*
 * Classifies a oneM2M originator (From) without I/O: CSE-ID or AE-ID, and
 * the resource identifier (ri) an AE-ID's <AE> resource has in this CSE.
 */
#ifndef CSSF_AUTHN_ORIGINATOR_H
#define CSSF_AUTHN_ORIGINATOR_H

#include <stddef.h>

enum cssf_originator_kind {
    CSSF_ORIG_INVALID = 0, /* empty, too long, or characters no ID may hold */
    CSSF_ORIG_CSE = 1,     /* "/id-in", "//sp.example/id-in" */
    CSSF_ORIG_AE = 2,      /* "Cabc", "Sabc", "/Sabc", "/id-in/Cabc", "//sp/id-in/Cabc" */
};

#define CSSF_ORIG_MAX 256

/*
 * Classifies from. host_cse_id is this CSE's ID ("/id-in"): an AE-ID in
 * SP-relative or absolute form whose CSE part is this CSE is reduced to its
 * CSE-relative stem. For an AE, writes into ri (capacity ri_cap) the ri of
 * its <AE> resource here (the AE-ID without a leading '/'), which for an AE
 * of another CSE is simply the AE-ID without its leading '/'.
 * Returns the kind; ri is "" unless the kind is CSSF_ORIG_AE.
 */
int cssf_originator_classify(const char *from, const char *host_cse_id, char *ri, size_t ri_cap);

#endif
