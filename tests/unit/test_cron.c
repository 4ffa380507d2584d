/* actw cron windows: table tests for plugin/authz/cron.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "plugin/authz/cron.h"

/* "YYYY-MM-DD HH:MM:SS" UTC to time_t. */
static time_t at(const char *s) {
    struct tm tm = {0};
    int n = sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                   &tm.tm_min, &tm.tm_sec);
    assert_int_equal(n, 6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

static const struct {
    const char *expr, *when;
    int want;
} cases[] = {
    /* every field a wildcard */
    {"* * * * * * *", "2024-03-15 12:34:56", 1},
    {"*\t*  * * * * *", "2024-03-15 12:34:56", 1}, /* tabs and runs of blanks */
    {"  * * * * * * *  ", "2024-03-15 12:34:56", 1},
    /* single values, one per field */
    {"56 * * * * * *", "2024-03-15 12:34:56", 1},
    {"55 * * * * * *", "2024-03-15 12:34:56", 0},
    {"* 34 * * * * *", "2024-03-15 12:34:56", 1},
    {"* 35 * * * * *", "2024-03-15 12:34:56", 0},
    {"* * 12 * * * *", "2024-03-15 12:34:56", 1},
    {"* * 13 * * * *", "2024-03-15 12:34:56", 0},
    {"* * * 15 * * *", "2024-03-15 12:34:56", 1},
    {"* * * 16 * * *", "2024-03-15 12:34:56", 0},
    {"* * * * 3 * *", "2024-03-15 12:34:56", 1},
    {"* * * * 4 * *", "2024-03-15 12:34:56", 0},
    {"* * * * * 5 *", "2024-03-15 12:34:56", 1}, /* a Friday */
    {"* * * * * 4 *", "2024-03-15 12:34:56", 0},
    {"* * * * * * 2024", "2024-03-15 12:34:56", 1},
    {"* * * * * * 2025", "2024-03-15 12:34:56", 0},
    /* ranges, inclusive at both ends */
    {"* * 9-17 * * * *", "2024-03-15 09:00:00", 1},
    {"* * 9-17 * * * *", "2024-03-15 17:59:59", 1},
    {"* * 9-17 * * * *", "2024-03-15 08:59:59", 0},
    {"* * 9-17 * * * *", "2024-03-15 18:00:00", 0},
    {"* * * * * 1-5 *", "2024-03-16 10:00:00", 0}, /* Saturday */
    {"* * * * * 1-5 *", "2024-03-18 10:00:00", 1}, /* Monday */
    {"* * * * * * 2020-2030", "2031-01-01 00:00:00", 0},
    {"* * * * * * 1970-2225", "1970-01-01 00:00:00", 1},
    /* lists */
    {"0,30 * * * * * *", "2024-03-15 12:00:30", 1},
    {"0,30 * * * * * *", "2024-03-15 12:00:15", 0},
    {"* * 1-3,22-23 * * * *", "2024-03-15 22:10:00", 1},
    {"* * 1-3,22-23 * * * *", "2024-03-15 04:10:00", 0},
    /* steps */
    {"*/15 * * * * * *", "2024-03-15 12:00:45", 1},
    {"*/15 * * * * * *", "2024-03-15 12:00:44", 0},
    {"* 10-20/5 * * * * *", "2024-03-15 12:15:00", 1},
    {"* 10-20/5 * * * * *", "2024-03-15 12:16:00", 0},
    {"* 10-20/5 * * * * *", "2024-03-15 12:25:00", 0},
    {"* * * */2 * * *", "2024-03-15 12:00:00", 1}, /* days 1,3,5,... */
    {"* * * */2 * * *", "2024-03-16 12:00:00", 0},
    {"* * * * */3 * *", "2024-04-01 00:00:00", 1}, /* months 1,4,7,10 */
    {"* * * * */3 * *", "2024-03-01 00:00:00", 0},
    /* Sunday is 0 and 7 */
    {"* * * * * 0 *", "2024-03-17 10:00:00", 1},
    {"* * * * * 7 *", "2024-03-17 10:00:00", 1},
    {"* * * * * 6-7 *", "2024-03-17 10:00:00", 1},
    {"* * * * * 6-7 *", "2024-03-18 10:00:00", 0},
    /* fields are ANDed: the 15th must also be a Monday */
    {"* * * 15 * 1 *", "2024-03-15 10:00:00", 0},
    {"* * * 15 * 5 *", "2024-03-15 10:00:00", 1},
    /* leap day and year end */
    {"* * * 29 2 * *", "2024-02-29 00:00:00", 1},
    {"59 59 23 31 12 * 2024", "2024-12-31 23:59:59", 1},
    {"59 59 23 31 12 * 2024", "2025-01-01 00:00:00", 0},
    /* a working-hours window */
    {"* * 8-17 * * 1-5 *", "2024-03-15 16:30:00", 1},
    {"* * 8-17 * * 1-5 *", "2024-03-15 18:30:00", 0},
};

static void test_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = cssf_cron_matches(cases[i].expr, at(cases[i].when));
        if (got != cases[i].want)
            fail_msg("\"%s\" at %s: got %d want %d", cases[i].expr, cases[i].when, got,
                     cases[i].want);
    }
}

static const char *const invalid[] = {
    NULL,
    "",
    "* * * * * *",       /* six fields */
    "* * * * * * * *",   /* eight fields */
    "60 * * * * * *",    /* sec > 59 */
    "* 60 * * * * *",    /* min > 59 */
    "* * 24 * * * *",    /* hour > 23 */
    "* * * 0 * * *",     /* dom < 1 */
    "* * * 32 * * *",    /* dom > 31 */
    "* * * * 0 * *",     /* month < 1 */
    "* * * * 13 * *",    /* month > 12 */
    "* * * * * 8 *",     /* dow > 7 */
    "* * * * * * 1969",  /* year < 1970 */
    "* * * * * * 2226",  /* year > 2225 */
    "* * * * * * 12345", /* five digits */
    "5-1 * * * * * *",   /* reversed range */
    "*/0 * * * * * *",   /* zero step */
    "5/2 * * * * * *",   /* step on a single value */
    "*/ * * * * * *",    /* empty step */
    "1- * * * * * *",    /* open range */
    "-1 * * * * * *",    /* negative */
    "1,,2 * * * * * *",  /* empty list item */
    "1, * * * * * *",    /* trailing comma */
    ",1 * * * * * *",    /* leading comma */
    "a * * * * * *",     /* letters */
    "MON * * * * * *",   /* names are not cron-like here */
    "1x * * * * * *",    /* trailing garbage */
    "** * * * * * *",    /* double star */
    "*-3 * * * * * *",   /* range from a star */
    "* * * * * * *\n",   /* newline is not a separator */
    "1-2-3 * * * * * *", /* two dashes */
    "*/2/3 * * * * * *", /* two steps */
};

static void test_invalid(void **state) {
    (void)state;
    cssf_cron_t c;
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        if (cssf_cron_parse(invalid[i], &c) != -1)
            fail_msg("accepted \"%s\"", invalid[i] ? invalid[i] : "(null)");
        assert_int_equal(cssf_cron_matches(invalid[i], 0), -1);
    }
    char longest[CSSF_CRON_MAX_LEN + 2];
    memset(longest, ' ', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    memcpy(longest, "* * * * * * *", 13);
    assert_int_equal(cssf_cron_parse(longest, &c), -1); /* too long even if blank */
    longest[CSSF_CRON_MAX_LEN] = '\0';
    assert_int_equal(cssf_cron_parse(longest, &c), 0);
    assert_int_equal(cssf_cron_parse("* * * * * * *", NULL), -1);
    assert_int_equal(cssf_cron_matches("* * * * * * *", (time_t)INT64_MAX), -1);
}

/* Every value of every field: "v" matches exactly v. */
static void test_every_value(void **state) {
    (void)state;
    static const int lo[7] = {0, 0, 0, 1, 1, 0, 1970}, hi[7] = {59, 59, 23, 31, 12, 6, 2225};
    cssf_cron_t c;
    for (int f = 0; f < 7; f++) {
        for (int v = lo[f]; v <= hi[f]; v++) {
            char expr[64] = "";
            for (int k = 0; k < 7; k++) {
                char item[16];
                snprintf(item, sizeof(item), k == f ? "%d" : "*", v);
                strcat(expr, item);
                strcat(expr, k < 6 ? " " : "");
            }
            assert_int_equal(cssf_cron_parse(expr, &c), 0);
            for (int w = lo[f]; w <= hi[f]; w++) {
                struct tm tm = {.tm_mday = 1, .tm_mon = 0, .tm_year = 100};
                int *slot[7] = {&tm.tm_sec, &tm.tm_min,  &tm.tm_hour, &tm.tm_mday,
                                &tm.tm_mon, &tm.tm_wday, &tm.tm_year};
                *slot[f] = w - (f == 4 ? 1 : f == 6 ? 1900 : 0);
                assert_int_equal(cssf_cron_match(&c, &tm), v == w);
            }
        }
    }
}

static void test_out_of_range_time(void **state) {
    (void)state;
    cssf_cron_t c;
    assert_int_equal(cssf_cron_parse("* * * * * * *", &c), 0);
    struct tm tm = {.tm_sec = 60, .tm_mday = 1, .tm_year = 124}; /* leap second */
    assert_int_equal(cssf_cron_match(&c, &tm), 1);
    assert_int_equal(cssf_cron_parse("59 * * * * * *", &c), 0);
    assert_int_equal(cssf_cron_match(&c, &tm), 1);
    assert_int_equal(cssf_cron_parse("* * * * * * *", &c), 0);
    tm.tm_year = 69; /* 1969: outside the year range */
    assert_int_equal(cssf_cron_match(&c, &tm), 0);
    tm.tm_year = 400; /* 2300 */
    assert_int_equal(cssf_cron_match(&c, &tm), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_every_value),
        cmocka_unit_test(test_out_of_range_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
