/* libFuzzer target: a datagram from the network, as the RADIUS client
 * sees it. Structure parsing, response verification against an
 * Access-Request and an Accounting-Request, attribute decoding (including
 * Tunnel-Password decryption) and password unhiding must never read out of
 * bounds, whatever the bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "plugin/aaa/radius_crypto.h"
#include "plugin/aaa/radius_message.h"
#include "plugin/aaa/radius_packet.h"

#define SECRET ((const uint8_t *)"fuzz-secret")
#define SLEN 11

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t auth[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    cssf_radius_nas_t nas = {.identifier = "fuzz"};
    cssf_radius_pkt_t access, acct;
    cssf_radius_acct_t rec = {.status_type = CSSF_RADIUS_ACCT_STOP, .session_id = "s"};
    cssf_radius_view_t v;
    const char *why;

    if (cssf_radius_msg_access_request(&access, data && size > 1 ? data[1] : 0, auth, &nas, "u",
                                       (const uint8_t *)"p", 1, NULL, SECRET, SLEN) != 0 ||
        cssf_radius_msg_accounting_request(&acct, size > 1 ? data[1] : 0, &nas, &rec, SECRET,
                                           SLEN) != 0)
        __builtin_trap();

    for (int ma = 0; ma <= 1; ma++) {
        cssf_radius_verify_response(data, size, access.data, SECRET, SLEN, ma, &v, &why);
        cssf_radius_verify_response(data, size, acct.data, SECRET, SLEN, ma, &v, &why);
    }
    if (cssf_radius_parse(data, size, &v, &why) == 0) {
        if (v.len > size || v.attrs + v.attrs_len != data + v.len)
            __builtin_trap();
        cssf_radius_reply_t r;
        memset(&r, 0, sizeof r);
        cssf_radius_msg_decode_reply(&v, auth, SECRET, SLEN, &r, &why);
        if (r.tunnel_password_len > sizeof r.tunnel_password || r.class_len > sizeof r.class_attr ||
            r.reply_message[sizeof r.reply_message - 1])
            __builtin_trap();
    }
    uint8_t out[256], tag;
    size_t outlen;
    size_t n = size > 253 ? 253 : size;
    if (cssf_radius_tunnel_password_decrypt(data, n, auth, SECRET, SLEN, out, sizeof out, &outlen,
                                            &tag, &why) == 0 &&
        outlen > n)
        __builtin_trap();
    cssf_radius_unhide_password(data, n > 128 ? 128 : n, auth, SECRET, SLEN, out, sizeof out);
    return 0;
}
