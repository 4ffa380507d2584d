/* Originator classification (see originator.h). */
#include "plugin/authn/originator.h"

#include <string.h>

/* Characters oneM2M identifiers use (unreserved URI characters and '/'). */
static int id_chars_ok(const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '%' || c == '\\' || c == '"')
            return 0;
    }
    return 1;
}

static int copy_ri(const char *src, char *ri, size_t ri_cap) {
    size_t n = strlen(src);
    if (n == 0 || n >= ri_cap)
        return CSSF_ORIG_INVALID;
    memcpy(ri, src, n + 1);
    return CSSF_ORIG_AE;
}

int cssf_originator_classify(const char *from, const char *host_cse_id, char *ri, size_t ri_cap) {
    if (ri_cap > 0)
        ri[0] = '\0';
    if (!from || !*from || strlen(from) >= CSSF_ORIG_MAX || !id_chars_ok(from))
        return CSSF_ORIG_INVALID;
    const char *s = from;
    if (s[0] == '/' && s[1] == '/') {
        /* absolute: //SP-ID/rest -> /rest (the SP part is not checked here) */
        s = strchr(s + 2, '/');
        if (!s || s[1] == '\0')
            return CSSF_ORIG_INVALID;
    }
    if (s[0] != '/') /* CSE-relative AE-ID stem "Cabc" */
        return strchr(s, '/') ? CSSF_ORIG_INVALID : copy_ri(s, ri, ri_cap);
    const char *second = strchr(s + 1, '/');
    if (!second) {
        if (s[1] == '\0')
            return CSSF_ORIG_INVALID;
        /* "/Sabc" is an SP-relative AE-ID; this CSE's ID, or any other
         * one-segment ID not starting with S, names a CSE. */
        if (host_cse_id && strcmp(s, host_cse_id) == 0)
            return CSSF_ORIG_CSE;
        return s[1] == 'S' ? copy_ri(s + 1, ri, ri_cap) : CSSF_ORIG_CSE;
    }
    /* "/cse-id/Cabc": an AE under a CSE, one more segment only. */
    if (second[1] == '\0' || strchr(second + 1, '/'))
        return CSSF_ORIG_INVALID;
    size_t cse_len = (size_t)(second - s);
    if (host_cse_id && strlen(host_cse_id) == cse_len && strncmp(s, host_cse_id, cse_len) == 0)
        return copy_ri(second + 1, ri, ri_cap);
    return copy_ri(s + 1, ri, ri_cap);
}
