/* The PSK identity of a ClientKeyExchange (see coap_dtls_peek.h). */
#include "cse/coap/coap_dtls_peek.h"

#include <string.h>

#define RECORD_HEADER 13    /* type, version, epoch, sequence number, length */
#define HANDSHAKE_HEADER 12 /* type, length, message_seq, fragment offset, fragment length */
#define CONTENT_HANDSHAKE 22
#define CLIENT_KEY_EXCHANGE 16

static uint32_t be(const uint8_t *p, size_t n) {
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* The identity in one handshake record's body, or 0. */
static size_t from_record(const uint8_t *body, size_t len, char *out, size_t cap) {
    if (len < HANDSHAKE_HEADER || body[0] != CLIENT_KEY_EXCHANGE)
        return 0;
    uint32_t msg_len = be(body + 1, 3), frag_off = be(body + 6, 3), frag_len = be(body + 9, 3);
    if (frag_off != 0 || frag_len != msg_len || frag_len > len - HANDSHAKE_HEADER || frag_len < 2)
        return 0;
    const uint8_t *msg = body + HANDSHAKE_HEADER;
    size_t id_len = be(msg, 2);
    if (id_len == 0 || id_len > frag_len - 2 || id_len >= cap || memchr(msg + 2, 0, id_len))
        return 0;
    memcpy(out, msg + 2, id_len);
    out[id_len] = '\0';
    return id_len;
}

size_t cse_dtls_peek_psk_identity(const uint8_t *buf, size_t len, char *out, size_t cap) {
    if (!buf || !out || cap == 0)
        return 0;
    out[0] = '\0';
    while (len >= RECORD_HEADER) {
        size_t rec_len = be(buf + 11, 2);
        if (rec_len > len - RECORD_HEADER)
            return 0;
        int epoch0 = buf[3] == 0 && buf[4] == 0;
        if (buf[0] == CONTENT_HANDSHAKE && buf[1] == 0xfe && epoch0) {
            size_t n = from_record(buf + RECORD_HEADER, rec_len, out, cap);
            if (n)
                return n;
        }
        buf += RECORD_HEADER + rec_len;
        len -= RECORD_HEADER + rec_len;
    }
    return 0;
}
