#include "cse/coap/coap_block.h"

#include <stdlib.h>
#include <string.h>

int cse_coap_block_get(const cse_coap_msg_t *msg, uint16_t optnum, cse_coap_block_t *b) {
    const cse_coap_option_t *o = cse_coap_msg_find(msg, optnum);
    uint32_t v;
    if (!o)
        return 0;
    if (o->len > 3 || cse_coap_opt_uint(o, &v) < 0)
        return -1;
    b->num = v >> 4;
    b->more = (v >> 3) & 1;
    b->szx = (int)(v & 7);
    return b->szx == 7 ? -1 : 1;
}

uint32_t cse_coap_block_value(const cse_coap_block_t *b) {
    return (b->num << 4) | (b->more ? 8u : 0u) | ((uint32_t)b->szx & 7);
}

int cse_coap_block_szx_fit(size_t room) {
    for (int szx = CSE_COAP_BLOCK_MAX_SZX; szx >= 0; szx--)
        if (cse_coap_block_size(szx) <= room)
            return szx;
    return -1;
}

int cse_coap_reasm_feed(cse_coap_cache_t *table, const void *key, size_t klen,
                        const cse_coap_block_t *b, const uint8_t *payload, size_t len,
                        size_t max_body, uint64_t now, uint64_t ttl_ms, uint8_t **body,
                        size_t *body_len) {
    size_t size = cse_coap_block_size(b->szx);
    size_t off = (size_t)b->num * size;
    size_t have = 0;
    uint8_t *buf = cse_coap_cache_take(table, key, klen, now, &have);
    if (b->num == 0) { /* a (re)start drops whatever was there */
        free(buf);
        buf = NULL;
        have = 0;
    }
    if (off != have) {
        free(buf);
        return CSE_COAP_REASM_INCOMPLETE;
    }
    if ((b->more && len != size) || len > size) {
        free(buf);
        return CSE_COAP_REASM_BAD;
    }
    if (have + len > max_body) {
        free(buf);
        return CSE_COAP_REASM_TOO_LARGE;
    }
    uint8_t *grown = realloc(buf, have + len + 1);
    if (!grown) {
        free(buf);
        return CSE_COAP_REASM_NOMEM;
    }
    if (len)
        memcpy(grown + have, payload, len);
    have += len;
    grown[have] = 0; /* bodies are text for the pipeline */
    if (!b->more) {
        *body = grown;
        *body_len = have;
        return CSE_COAP_REASM_DONE;
    }
    cse_coap_cache_put(table, key, klen, grown, have, now + ttl_ms);
    return CSE_COAP_REASM_MORE;
}
