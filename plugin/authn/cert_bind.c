/* CERT_CHECK identity (see cert_bind.h). */
#include "plugin/authn/cert_bind.h"

#include <stdio.h>
#include <string.h>

int cssf_cert_identity(const char *san_uri, const unsigned char *sha256, char *out, size_t cap) {
    if (!out || cap == 0)
        return -1;
    out[0] = '\0';
    if (san_uri && san_uri[0]) {
        size_t n = strlen(san_uri);
        if (n >= cap)
            return -1;
        memcpy(out, san_uri, n + 1);
        return 0;
    }
    if (!sha256 || cap <= CSSF_CERT_FP_ID_LEN)
        return -1;
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "sha256:", 7);
    for (int i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[sha256[i] >> 4];
        out[8 + 2 * i] = hex[sha256[i] & 15];
    }
    out[CSSF_CERT_FP_ID_LEN] = '\0';
    return 0;
}
