/* Block options and reassembly (cse/coap/coap_block.c) and the bounded cache
 * under them (cse/coap/coap_cache.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cse/coap/coap_block.h"
#include "cse/coap/coap_cache.h"

static void test_block_option(void **state) {
    cse_coap_msg_t m;
    cse_coap_block_t b = {5, 1, 6}, d;
    cse_coap_msg_init(&m);
    assert_int_equal(cse_coap_block_get(&m, CSE_COAP_OPT_BLOCK2, &d), 0);
    assert_int_equal(cse_coap_block_value(&b), (5 << 4) | 8 | 6);
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_BLOCK2, cse_coap_block_value(&b));
    assert_int_equal(cse_coap_block_get(&m, CSE_COAP_OPT_BLOCK2, &d), 1);
    assert_int_equal(d.num, 5);
    assert_int_equal(d.more, 1);
    assert_int_equal(d.szx, 6);
    cse_coap_msg_init(&m);
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_BLOCK1, 7); /* szx 7 is BERT: not on UDP */
    assert_int_equal(cse_coap_block_get(&m, CSE_COAP_OPT_BLOCK1, &d), -1);
    cse_coap_msg_init(&m);
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_BLOCK1, 0x01000000); /* 4 bytes */
    assert_int_equal(cse_coap_block_get(&m, CSE_COAP_OPT_BLOCK1, &d), -1);
    b = (cse_coap_block_t){0xfffff, 0, 0}; /* largest NUM: 3 bytes */
    cse_coap_msg_init(&m);
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_BLOCK1, cse_coap_block_value(&b));
    assert_int_equal(m.opts[0].len, 3);
    assert_int_equal(cse_coap_block_get(&m, CSE_COAP_OPT_BLOCK1, &d), 1);
    assert_int_equal(d.num, 0xfffff);
}

static void test_szx_fit(void **state) {
    assert_int_equal(cse_coap_block_szx_fit(15), -1);
    assert_int_equal(cse_coap_block_szx_fit(16), 0);
    assert_int_equal(cse_coap_block_szx_fit(1023), 5);
    assert_int_equal(cse_coap_block_szx_fit(5000), 6);
    assert_int_equal(cse_coap_block_size(6), 1024);
}

static void test_cache_bounds_and_expiry(void **state) {
    cse_coap_cache_t *c = cse_coap_cache_new(8);
    char key[8];
    for (int i = 0; i < 100; i++) {
        memcpy(key, &i, sizeof(i));
        assert_int_equal(cse_coap_cache_put(c, key, sizeof(i), strdup("v"), 2, 1000 + i), 0);
    }
    assert_true(cse_coap_cache_count(c, 0) <= 8);
    int last = 99;
    memcpy(key, &last, sizeof(last));
    size_t len;
    assert_non_null(cse_coap_cache_get(c, key, sizeof(last), 500, &len));
    assert_int_equal(len, 2);
    assert_null(cse_coap_cache_get(c, key, sizeof(last), 1099, &len)); /* expired */
    /* replacing a key keeps one entry */
    assert_int_equal(cse_coap_cache_put(c, "k", 1, strdup("a"), 2, 5000), 0);
    assert_int_equal(cse_coap_cache_put(c, "k", 1, strdup("b"), 2, 5000), 0);
    char *v = cse_coap_cache_take(c, "k", 1, 0, NULL);
    assert_string_equal(v, "b");
    free(v);
    assert_null(cse_coap_cache_get(c, "k", 1, 0, NULL));
    char huge[CSE_COAP_CACHE_MAX_KEY + 1] = {0};
    assert_int_equal(cse_coap_cache_put(c, huge, sizeof(huge), strdup("x"), 2, 5000), -1);
    cse_coap_cache_free(c);
}

static void test_reasm_shrinking_blocks(void **state) {
    cse_coap_cache_t *c = cse_coap_cache_new(4);
    uint8_t data[200], *body = NULL;
    size_t len = 0;
    for (int i = 0; i < 200; i++)
        data[i] = (uint8_t)i;
    /* 128 bytes in one block, then the server asked for 32-byte blocks:
     * the client continues at NUM 4 of 32 (RFC 7959 Figure 6). */
    cse_coap_block_t b = {0, 1, 3};
    assert_int_equal(cse_coap_reasm_feed(c, "p", 1, &b, data, 128, 1000, 0, 100, &body, &len),
                     CSE_COAP_REASM_MORE);
    b = (cse_coap_block_t){4, 1, 1};
    assert_int_equal(cse_coap_reasm_feed(c, "p", 1, &b, data + 128, 32, 1000, 0, 100, &body, &len),
                     CSE_COAP_REASM_MORE);
    b = (cse_coap_block_t){5, 0, 1};
    assert_int_equal(cse_coap_reasm_feed(c, "p", 1, &b, data + 160, 40, 1000, 0, 100, &body, &len),
                     CSE_COAP_REASM_BAD); /* a final block cannot exceed the block size */
    b = (cse_coap_block_t){0, 1, 0};
    assert_int_equal(cse_coap_reasm_feed(c, "q", 1, &b, data, 16, 1000, 0, 100, &body, &len),
                     CSE_COAP_REASM_MORE);
    b = (cse_coap_block_t){1, 0, 0};
    assert_int_equal(cse_coap_reasm_feed(c, "q", 1, &b, data + 16, 10, 1000, 50, 100, &body, &len),
                     CSE_COAP_REASM_DONE);
    assert_int_equal(len, 26);
    assert_memory_equal(body, data, 26);
    free(body);
    /* a final block may be empty (found by fuzzing: no payload pointer) */
    b = (cse_coap_block_t){0, 1, 0};
    cse_coap_reasm_feed(c, "e", 1, &b, data, 16, 1000, 0, 100, &body, &len);
    b = (cse_coap_block_t){1, 0, 0};
    assert_int_equal(cse_coap_reasm_feed(c, "e", 1, &b, NULL, 0, 1000, 0, 100, &body, &len),
                     CSE_COAP_REASM_DONE);
    assert_int_equal(len, 16);
    free(body);
    /* an expired transfer cannot be continued */
    b = (cse_coap_block_t){0, 1, 0};
    cse_coap_reasm_feed(c, "r", 1, &b, data, 16, 1000, 0, 100, &body, &len);
    b = (cse_coap_block_t){1, 0, 0};
    assert_int_equal(cse_coap_reasm_feed(c, "r", 1, &b, data, 4, 1000, 200, 100, &body, &len),
                     CSE_COAP_REASM_INCOMPLETE);
    cse_coap_cache_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_option),
        cmocka_unit_test(test_szx_fit),
        cmocka_unit_test(test_cache_bounds_and_expiry),
        cmocka_unit_test(test_reasm_shrinking_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
