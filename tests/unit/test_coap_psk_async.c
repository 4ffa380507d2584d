/* PSK lookups off the event loop: results arrive through the eventfd with
 * the key (or none), a slow lookup does not hold back a quick one on
 * another worker, the queue is bounded, and freeing waits for a running
 * lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "cse/coap/coap_psk_async.h"
#include "cse/plugin.h"

static int lookup(int event, void *data) {
    cse_evt_psk_lookup_t *ev = data;
    assert_int_equal(event, CSE_EVT_PSK_LOOKUP);
    assert_int_equal(ev->version, 2);
    assert_int_equal(ev->nonblocking, 0); /* workers may block */
    if (strcmp(ev->identity, "slow") == 0) {
        struct timespec ts = {0, 300 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (strcmp(ev->identity, "unknown") == 0)
        return CSE_PLUGIN_DEFER;
    memcpy(ev->key, "k3y", 3);
    ev->key_len = 3;
    return CSE_PLUGIN_OK;
}

static int wait_readable(cse_psk_async_t *a, int ms) {
    struct pollfd p = {.fd = cse_psk_async_fd(a), .events = POLLIN};
    return poll(&p, 1, ms);
}

static void test_results(void **state) {
    (void)state;
    cse_psk_async_t *a = cse_psk_async_new(lookup, 0, 2, 4);
    assert_non_null(a);
    assert_int_equal(cse_psk_async_submit(a, 1, "slow", NULL, 0), 0);
    assert_int_equal(cse_psk_async_submit(a, 2, "quick", NULL, 0), 0);
    /* The quick one finishes while the slow one still runs. */
    assert_int_equal(wait_readable(a, 2000), 1);
    cse_psk_async_result_t r;
    assert_int_equal(cse_psk_async_take(a, &r), 1);
    assert_int_equal(r.session_id, 2);
    assert_string_equal(r.identity, "quick");
    assert_int_equal(r.found, 1);
    assert_int_equal(r.key_len, 3);
    assert_memory_equal(r.key, "k3y", 3);
    assert_int_equal(cse_psk_async_take(a, &r), 0);
    assert_int_equal(cse_psk_async_submit(a, 3, "unknown", NULL, 0), 0);
    int got = 0, unknown = 0;
    while (got < 2 && wait_readable(a, 2000) == 1)
        while (cse_psk_async_take(a, &r) == 1) {
            got++;
            if (r.session_id == 3)
                unknown = !r.found && r.key_len == 0;
        }
    assert_int_equal(got, 2);
    assert_true(unknown);
    cse_psk_async_free(a);
}

static void test_bounded(void **state) {
    (void)state;
    cse_psk_async_t *a = cse_psk_async_new(lookup, 0, 1, 2);
    assert_non_null(a);
    assert_int_equal(cse_psk_async_submit(a, 1, "slow", NULL, 0), 0);
    assert_int_equal(cse_psk_async_submit(a, 2, "slow", NULL, 0), 0);
    assert_int_equal(cse_psk_async_submit(a, 3, "quick", NULL, 0), -1); /* full */
    char big[CSE_PSK_ASYNC_IDENTITY_MAX + 1];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    assert_int_equal(cse_psk_async_submit(a, 4, big, NULL, 0), -1);
    /* Freed while one runs and one waits: joins, frees both, no leak. */
    cse_psk_async_free(a);
    cse_psk_async_free(NULL);
    assert_null(cse_psk_async_new(NULL, 0, 1, 1));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
