/* Target addressing: every form, la/ol, hybrid, other CSEs, expiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "cse/core/address.h"
#include "cse/core/clock.h"
#include "cse/core/rsc.h"
#include "cse/core/tree.h"

static cse_res_t *add(cse_res_t *parent, int ty, const char *ri, const char *rn, const char *ct,
                      const char *et) {
    json_t *a = json_pack("{s:s,s:s}", "rn", rn, "ct", ct);
    if (et)
        json_object_set_new(a, "et", json_string(et));
    cse_res_t *r = cse_res_new(ty, ri, rn, a);
    assert_int_equal(cse_tree_attach(parent, r), 0);
    return r;
}

static int setup(void **state) {
    (void)state;
    cse_tree_init();
    cse_address_configure("/id-in", "//example.net");
    const char *t0 = "20240101T000000";
    cse_res_t *cb = add(NULL, 5, "id-in", "cse-in", t0, NULL);
    cse_res_t *ae = add(cb, 2, "Cae", "ae1", t0, NULL);
    cse_res_t *cnt = add(ae, 3, "cnt1", "box", t0, NULL);
    add(cnt, 4, "cin1", "i1", t0, NULL);
    add(cnt, 3, "cnt2", "sub", t0, NULL);
    add(cnt, 4, "cin2", "i2", t0, NULL);
    add(cnt, 4, "cin3", "i3", t0, "20240601T000000"); /* expires */
    add(cb, 3, "empty", "empty", t0, NULL);
    add(cb, 3, "gone", "gone", t0, "20240301T000000");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    cse_tree_destroy();
    return 0;
}

static const char *resolve(const char *to, int64_t now, int *rsc, int *virt) {
    cse_res_t *r;
    static char err[256];
    *rsc = cse_address_resolve(to, now, &r, virt, err, sizeof(err));
    return *rsc ? err : r->ri;
}

static void test_forms(void **state) {
    (void)state;
    int64_t now;
    cse_clock_parse("20240201T000000", &now);
    struct {
        const char *to;
        int rsc;
        const char *ri;
        int virt;
    } cases[] = {
        {"/cse-in", 0, "id-in", 0},
        {"cse-in", 0, "id-in", 0},
        {"/cse-in/", 0, "id-in", 0},
        {"/cse-in/ae1/box", 0, "cnt1", 0},
        {"/cse-in/ae1/box/sub", 0, "cnt2", 0},
        {"/id-in", 0, "id-in", 0},
        {"/cnt1", 0, "cnt1", 0},
        {"/Cae", 0, "Cae", 0},
        {"/Cae/box/i1", 0, "cin1", 0}, /* hybrid */
        {"/~/id-in", 0, "id-in", 0},
        {"/~/id-in/cse-in/ae1", 0, "Cae", 0},
        {"/~/id-in/cnt1", 0, "cnt1", 0},
        {"/id-in/cse-in/ae1", 0, "Cae", 0}, /* SP-relative, primitive form */
        {"/_/example.net/id-in/cse-in/ae1/box", 0, "cnt1", 0},
        {"//example.net/id-in/cnt2", 0, "cnt2", 0},
        {"/cse-in/ae1/box/la", 0, "cin3", CSE_VIRTUAL_LA},
        {"/cse-in/ae1/box/ol", 0, "cin1", CSE_VIRTUAL_OL},
        {"/cnt1/la", 0, "cin3", CSE_VIRTUAL_LA},
        {"/~/id-in/cse-in/ae1/box/ol", 0, "cin1", CSE_VIRTUAL_OL},
        {"/cse-in/empty/la", 4004, NULL, 0},
        {"/cse-in/ae1/la", 4004, NULL, 0}, /* not a container */
        {"/cse-in/nothing", 4004, NULL, 0},
        {"/nothing", 4004, NULL, 0},
        {"/", 4004, NULL, 0},
        {"", 4004, NULL, 0},
        {"/cse-in/ae1/box/i1/deeper", 4004, NULL, 0},
        {"/~/id-other/cse-in", 5103, NULL, 0},
        {"/_/other.net/id-in/cse-in", 5103, NULL, 0},
        {"/_/example.net/id-x/cse-in", 5103, NULL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rsc, virt;
        const char *got = resolve(cases[i].to, now, &rsc, &virt);
        if (rsc != cases[i].rsc)
            fprintf(stderr, "case %s: rsc %d (%s)\n", cases[i].to, rsc, got);
        assert_int_equal(rsc, cases[i].rsc);
        if (!rsc) {
            assert_string_equal(got, cases[i].ri);
            assert_int_equal(virt, cases[i].virt);
        }
    }
}

static void test_expired_not_found(void **state) {
    (void)state;
    int64_t later;
    cse_clock_parse("20240701T000000", &later);
    int rsc, virt;
    resolve("/cse-in/gone", later, &rsc, &virt);
    assert_int_equal(rsc, 4004);
    /* la skips the expired newest instance. */
    const char *ri = resolve("/cse-in/ae1/box/la", later, &rsc, &virt);
    assert_int_equal(rsc, 0);
    assert_string_equal(ri, "cin2");
    resolve("/cin3", later, &rsc, &virt);
    assert_int_equal(rsc, 4004);
}

static void test_no_sp_id(void **state) {
    (void)state;
    cse_address_configure("/id-in", "");
    int rsc, virt;
    resolve("/_/example.net/id-in/cse-in", 0, &rsc, &virt);
    assert_int_equal(rsc, 5103);
    resolve("/~/id-in/cse-in", 0, &rsc, &virt);
    assert_int_equal(rsc, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_sp_id, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
