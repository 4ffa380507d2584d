/*
 * Block-wise transfer (RFC 7959): the Block1/Block2 option values and the
 * bounded reassembly of request bodies sent in Block1 blocks.
 * Pure functions plus a reassembly table owned by one endpoint.
 */
#ifndef CSE_COAP_BLOCK_H
#define CSE_COAP_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "cse/coap/coap_cache.h"
#include "cse/coap/coap_msg.h"

#define CSE_COAP_BLOCK_MAX_SZX 6 /* 1024 bytes; 7 is reserved (BERT, TCP only) */

typedef struct cse_coap_block {
    uint32_t num; /* < 2^20 */
    int more;
    int szx; /* size = 2^(szx+4) */
} cse_coap_block_t;

/* Reads option optnum (BLOCK1 or BLOCK2) of msg. Returns 1 and fills b when
 * present and valid, 0 when absent, -1 when malformed (longer than 3 bytes or
 * szx 7). */
int cse_coap_block_get(const cse_coap_msg_t *msg, uint16_t optnum, cse_coap_block_t *b);

/* The option value of b (NUM << 4 | M << 3 | SZX). */
uint32_t cse_coap_block_value(const cse_coap_block_t *b);

/* Block size for szx. */
static inline size_t cse_coap_block_size(int szx) {
    return (size_t)1 << (szx + 4);
}

/* Largest szx (≤ 6) whose block fits in room bytes; -1 if room < 16. */
int cse_coap_block_szx_fit(size_t room);

/* Outcome of feeding a Block1 block. */
enum cse_coap_reasm_result {
    CSE_COAP_REASM_MORE = 0,        /* stored: answer 2.31 Continue */
    CSE_COAP_REASM_DONE = 1,        /* *body holds the whole body */
    CSE_COAP_REASM_INCOMPLETE = -1, /* not the next block: 4.08 */
    CSE_COAP_REASM_TOO_LARGE = -2,  /* body would exceed the limit: 4.13 */
    CSE_COAP_REASM_BAD = -3,        /* a non-final block of the wrong size: 4.00 */
    CSE_COAP_REASM_NOMEM = -4,      /* 5.03 */
};

/*
 * Appends block b (payload of len bytes) to the body being reassembled under
 * key in table (a cache created by the caller). Block 0 starts a new body.
 * A block must start where the stored body ends, so a client may shrink the
 * block size midway (RFC 7959 §2.5). max_body bounds the whole body;
 * the entry lives until now + ttl_ms after its last block.
 * On DONE, *body is malloc'd (caller frees) and *body_len its size.
 */
int cse_coap_reasm_feed(cse_coap_cache_t *table, const void *key, size_t klen,
                        const cse_coap_block_t *b, const uint8_t *payload, size_t len,
                        size_t max_body, uint64_t now, uint64_t ttl_ms, uint8_t **body,
                        size_t *body_len);

#endif
