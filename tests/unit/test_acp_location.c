/* aclr regions: table tests for plugin/authz/acp_location.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>

#include "plugin/authz/acp_location.h"

static void test_distance(void **state) {
    (void)state;
    static const struct {
        double lat1, lon1, lat2, lon2, km, tol_km;
    } cases[] = {
        {0, 0, 0, 0, 0, 0.001},
        {48.8566, 2.3522, 51.5074, -0.1278, 343.6, 1.0},  /* Paris - London */
        {40.7128, -74.0060, 34.0522, -118.2437, 3936, 5}, /* New York - Los Angeles */
        {0, 0, 0, 180, 20015.1, 1.0},                     /* half the equator */
        {90, 0, -90, 0, 20015.1, 1.0},                    /* pole to pole */
        {0, 179.9, 0, -179.9, 22.24, 0.1},                /* across the date line */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double km =
            cssf_geo_distance_m(cases[i].lat1, cases[i].lon1, cases[i].lat2, cases[i].lon2) /
            1000.0;
        if (fabs(km - cases[i].km) > cases[i].tol_km)
            fail_msg("case %zu: %.3f km, want %.3f", i, km, cases[i].km);
    }
}

static void test_circle(void **state) {
    (void)state;
    cssf_region_t r;
    assert_int_equal(cssf_region_circle(48.8566, 2.3522, 10000, &r), 0);
    cssf_location_t in = {48.90, 2.35, ""}, out = {48.8566, 2.60, ""}, unknown = {NAN, NAN, "FR"};
    assert_int_equal(cssf_region_match(&r, &in), 1);  /* ~4.8 km away */
    assert_int_equal(cssf_region_match(&r, &out), 0); /* ~18 km away */
    assert_int_equal(cssf_region_match(&r, &unknown), 0);
    cssf_location_t half = {48.8566, NAN, ""};
    assert_int_equal(cssf_region_match(&r, &half), 0);
    assert_int_equal(cssf_region_circle(0, 0, 0, &r), 0); /* radius 0: the point itself */
    cssf_location_t origin = {0, 0, ""};
    assert_int_equal(cssf_region_match(&r, &origin), 1);
    static const double bad[][3] = {
        {91, 0, 1},  {-91, 0, 1}, {0, 181, 1}, {0, -181, 1},     {0, 0, -1},
        {NAN, 0, 1}, {0, NAN, 1}, {0, 0, NAN}, {0, 0, INFINITY},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(cssf_region_circle(bad[i][0], bad[i][1], bad[i][2], &r), -1);
}

static void test_country(void **state) {
    (void)state;
    cssf_region_t r = {0};
    assert_int_equal(cssf_region_add_country(&r, "fr"), 0);
    assert_int_equal(cssf_region_add_country(&r, "DE"), 0);
    cssf_location_t fr = {NAN, NAN, "FR"}, de = {1, 2, "de"}, us = {NAN, NAN, "US"},
                    none = {48.0, 2.0, ""};
    assert_int_equal(cssf_region_match(&r, &fr), 1);
    assert_int_equal(cssf_region_match(&r, &de), 1);
    assert_int_equal(cssf_region_match(&r, &us), 0);
    assert_int_equal(cssf_region_match(&r, &none), 0);
    cssf_location_t fx = {NAN, NAN, "FX"}, odd = {NAN, NAN, "{}"};
    assert_int_equal(cssf_region_match(&r, &fx), 0);
    assert_int_equal(cssf_region_match(&r, &odd), 0);
    static const char *const bad[] = {NULL, "",   "F",  "FRA", "F1", "1F",
                                      "é",  "{a", "[a", "`a",  "@a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(cssf_region_add_country(&r, bad[i]), -1);
    cssf_region_t full = {0};
    for (int i = 0; i < CSSF_REGION_MAX_CC; i++)
        assert_int_equal(cssf_region_add_country(&full, "AA"), 0);
    assert_int_equal(cssf_region_add_country(&full, "BB"), -1);
    cssf_region_t nothing = {0}; /* neither kind */
    assert_int_equal(cssf_region_match(&nothing, &fr), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_circle),
        cmocka_unit_test(test_country),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
