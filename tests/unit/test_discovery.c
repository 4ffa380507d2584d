/* Discovery (fu=1) filters and paging, table-driven through the pipeline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <time.h>

#include "cse_test_util.h"
#include "cse/core/clock.h"
#include "cse/core/discovery.h"
#include "cse/plugin.h"

static char mid[CSE_TIME_LEN]; /* a time between the two batches */

static void mk(const char *parent, int ty, const char *body) {
    test_resp_t r = test_req(CSE_OP_CREATE, parent, "CAdmin", ty, body, NULL);
    if (r.rsc != 2001)
        fprintf(stderr, "create %s: %d %s\n", body, r.rsc, r.raw);
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
}

static int setup(void **state) {
    (void)state;
    if (test_core_start(NULL))
        return -1;
    mk("/cse-in", 2,
       "{\"m2m:ae\":{\"rn\":\"app\",\"api\":\"Na\",\"rr\":true,\"srv\":[\"3\"],"
       "\"lbl\":[\"kind/app\"]}}");
    mk("/cse-in/app", 3, "{\"m2m:cnt\":{\"rn\":\"a\",\"lbl\":[\"room/1\",\"t\"]}}");
    mk("/cse-in/app/a", 4, "{\"m2m:cin\":{\"rn\":\"a1\",\"con\":\"x\",\"lbl\":[\"t\"]}}");
    mk("/cse-in/app/a", 3, "{\"m2m:cnt\":{\"rn\":\"deep\"}}");
    mk("/cse-in/app/a/deep", 4, "{\"m2m:cin\":{\"rn\":\"d1\",\"con\":\"y\"}}");
    struct timespec ts = {0, 3000000};
    nanosleep(&ts, NULL);
    cse_clock_format(cse_clock_now_us(), mid, sizeof(mid));
    nanosleep(&ts, NULL);
    mk("/cse-in/app", 3,
       "{\"m2m:cnt\":{\"rn\":\"b\",\"lbl\":[\"room/2\"],\"et\":\"20991231T000000\"}}");
    mk("/cse-in/app/b", 4, "{\"m2m:cin\":{\"rn\":\"b1\",\"con\":\"z\"}}");
    mk("/cse-in/app/b", 4, "{\"m2m:cin\":{\"rn\":\"b2\",\"con\":\"z\"}}");
    /* st of a grows with updates: a has st 2 after two label changes. */
    test_resp_t r = test_req(CSE_OP_UPDATE, "/cse-in/app/a", "CAdmin", 0,
                             "{\"m2m:cnt\":{\"lbl\":[\"room/1\",\"t\"]}}", NULL);
    test_resp_free(&r);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    cse_core_shutdown();
    return 0;
}

/* Runs discovery on /cse-in/app and returns the uril joined by ' '. */
static void discover(const char *query, int rsc, const char *expect) {
    char q[256];
    snprintf(q, sizeof(q), "fu=1%s%s", query[0] ? "&" : "", query);
    test_resp_t r = test_req(CSE_OP_RETRIEVE, "/cse-in/app", "CAdmin", 0, NULL, q);
    if (r.rsc != rsc)
        fprintf(stderr, "query %s: %d %s\n", query, r.rsc, r.raw);
    assert_int_equal(r.rsc, rsc);
    if (rsc == 2000) {
        char got[1024] = "";
        json_t *list = json_object_get(r.json, "m2m:uril");
        if (!list)
            list = json_object_get(json_object_get(r.json, "m2m:rrl"), "rrf");
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e) {
            const char *v = json_is_string(e) ? json_string_value(e)
                                              : json_string_value(json_object_get(e, "val"));
            const char *last = strrchr(v, '/');
            strcat(got, i ? " " : "");
            strcat(got, last ? last + 1 : v);
        }
        if (strcmp(got, expect) != 0)
            fprintf(stderr, "query %s: got '%s' want '%s'\n", query, got, expect);
        assert_string_equal(got, expect);
    }
    test_resp_free(&r);
}

static void test_filters(void **state) {
    (void)state;
    char q[128];
    discover("", 2000, "a a1 deep d1 b b1 b2");
    discover("ty=3", 2000, "a deep b");
    discover("ty=4", 2000, "a1 d1 b1 b2");
    discover("ty=3&ty=4", 2000, "a a1 deep d1 b b1 b2");
    discover("ty=2", 2000, "");
    discover("lbl=t", 2000, "a a1");
    discover("lbl=room/2&lbl=room/1", 2000, "a b");
    discover("lbl=nothing", 2000, "");
    discover("lvl=1", 2000, "a b");
    discover("lvl=2", 2000, "a a1 deep b b1 b2");
    discover("lim=2", 2000, "a a1");
    discover("ofst=3&lim=2", 2000, "deep d1");
    discover("ofst=100", 2000, "");
    discover("lim=0", 2000, "");
    snprintf(q, sizeof(q), "cra=%s", mid);
    discover(q, 2000, "b b1 b2"); /* a was modified after mid, but created before */
    snprintf(q, sizeof(q), "crb=%s", mid);
    discover(q, 2000, "a a1 deep d1");
    snprintf(q, sizeof(q), "ms=%s", mid);
    discover(q, 2000, "a b b1 b2");
    snprintf(q, sizeof(q), "us=%s&ty=4", mid);
    discover(q, 2000, "a1 d1");
    discover("exb=20350101T000000", 2000, "a a1 deep d1 b1 b2");
    discover("exa=20350101T000000", 2000, "b");
    discover("ty=3&stb=0", 2000, "a deep b");
    discover("ty=3&stb=1", 2000, "a b");
    discover("ty=3&sts=2", 2000, "deep");
    discover("ty=4&sts=2", 2000, "a1 d1 b1");
    discover("drt=2&ty=2", 2000, "");
    discover("rcn=6&ty=3", 2000, "a deep b");
    discover("rcn=2&ty=3", 2000, "a deep b");
    discover("crb=yesterday", 4000, "");
    discover("lvl=0", 4000, "");
    discover("rcn=1", 4000, "");
    discover("rcn=4", 4000, "");
    discover("drt=3", 4000, "");
}

static void test_unstructured(void **state) {
    (void)state;
    test_resp_t r = test_req(CSE_OP_RETRIEVE, "/cse-in/app", "CAdmin", 0, NULL, "fu=1&drt=2&lvl=1");
    json_t *uril = json_object_get(r.json, "m2m:uril");
    assert_int_equal(json_array_size(uril), 2);
    assert_null(strchr(json_string_value(json_array_get(uril, 0)), '/'));
    test_resp_free(&r);
}

static void test_match_pure(void **state) {
    (void)state;
    cse_filter_t f;
    cse_query_t q;
    char err[64];
    memset(&q, 0, sizeof(q));
    q.sts = q.stb = -1;
    q.lvl = -1;
    assert_int_equal(cse_filter_from_query(&f, &q, err, sizeof(err)), 0);
    json_t *a = json_pack("{s:s,s:i}", "ct", "20240101T000000", "st", 3);
    cse_res_t *r = cse_res_new(3, "x", "x", a);
    assert_int_equal(cse_filter_match(&f, r), 1);
    q.sts = 3;
    cse_filter_from_query(&f, &q, err, sizeof(err));
    assert_int_equal(cse_filter_match(&f, r), 0);
    q.sts = 4;
    cse_filter_from_query(&f, &q, err, sizeof(err));
    assert_int_equal(cse_filter_match(&f, r), 1);
    strcpy(q.crb, "20240101T000000");
    cse_filter_from_query(&f, &q, err, sizeof(err));
    assert_int_equal(cse_filter_match(&f, r), 0); /* strictly before */
    strcpy(q.crb, "20240101T000000,000001");
    cse_filter_from_query(&f, &q, err, sizeof(err));
    assert_int_equal(cse_filter_match(&f, r), 1);
    cse_res_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unstructured, setup, teardown),
        cmocka_unit_test(test_match_pure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
