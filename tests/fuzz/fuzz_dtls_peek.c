/* libFuzzer target: the ClientKeyExchange peek of the DTLS server (any
 * datagram from the network reaches it before mbedTLS does). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cse/coap/coap_dtls_peek.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char out[256];
    size_t n = cse_dtls_peek_psk_identity(data, size, out, sizeof(out));
    if (n && (n >= sizeof(out) || strlen(out) != n))
        __builtin_trap();
    return 0;
}
