/* AE-IDs registered inside a security association: stored, reloaded,
 * lifted, kept in memory without a file, and a store that cannot write
 * refuses the reservation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <unistd.h>

#include "plugin/data/aeid_reservations.h"

static void test_survive_reopen(void **state) {
    (void)state;
    char dir[] = "/tmp/test_aeid_XXXXXX", db[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/cse.db", dir);
    cssf_aeid_reservations_t *r = NULL;
    assert_int_equal(cssf_aeid_reservations_open(db, &r, err, sizeof(err)), 0);
    assert_int_equal(cssf_aeid_reservations_has(r, "Cdev1"), 0);
    assert_int_equal(cssf_aeid_reservations_add(r, "Cdev1", "urn:dev1", "tls-cert", err, 256), 0);
    assert_int_equal(cssf_aeid_reservations_add(r, "Cdev2", "dev2@psk", "dtls-psk", err, 256), 0);
    assert_int_equal(cssf_aeid_reservations_add(r, "Cdev2", "dev2@psk", "dtls-psk", err, 256), 0);
    assert_int_equal(cssf_aeid_reservations_count(r), 2);
    assert_int_equal(cssf_aeid_reservations_has(r, "Cdev1"), 1);
    assert_int_equal(cssf_aeid_reservations_has(r, "cdev1"), 0);
    cssf_aeid_reservations_close(r);

    assert_int_equal(cssf_aeid_reservations_open(db, &r, err, sizeof(err)), 0);
    assert_int_equal(cssf_aeid_reservations_count(r), 2);
    assert_int_equal(cssf_aeid_reservations_has(r, "Cdev2"), 1);
    assert_int_equal(cssf_aeid_reservations_remove(r, "Cdev2", err, sizeof(err)), 0);
    assert_int_equal(cssf_aeid_reservations_remove(r, "Cnever", err, sizeof(err)), 0);
    assert_int_equal(cssf_aeid_reservations_has(r, "Cdev2"), 0);
    cssf_aeid_reservations_close(r);

    assert_int_equal(cssf_aeid_reservations_open(db, &r, err, sizeof(err)), 0);
    assert_int_equal(cssf_aeid_reservations_has(r, "Cdev1"), 1);
    assert_int_equal(cssf_aeid_reservations_has(r, "Cdev2"), 0);

    /* A store that cannot take the row (its table dropped behind its back):
     * the reservation is refused and not half-added. */
    sqlite3 *other = NULL;
    assert_int_equal(sqlite3_open(db, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "DROP TABLE cssf_aeid_reservations", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(other);
    assert_int_equal(cssf_aeid_reservations_add(r, "Cdev3", "x", "tls-psk", err, 256), -1);
    assert_non_null(strstr(err, "not stored"));
    assert_int_equal(cssf_aeid_reservations_has(r, "Cdev3"), 0);
    /* and a reservation that cannot be lifted stays (fail closed) */
    assert_int_equal(cssf_aeid_reservations_remove(r, "Cdev1", err, sizeof(err)), -1);
    assert_int_equal(cssf_aeid_reservations_has(r, "Cdev1"), 1);
    char cmd[128];
    cssf_aeid_reservations_close(r);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_memory_and_arguments(void **state) {
    (void)state;
    char err[256];
    cssf_aeid_reservations_t *r = NULL;
    assert_int_equal(cssf_aeid_reservations_open(":memory:", &r, err, sizeof(err)), 0);
    assert_int_equal(cssf_aeid_reservations_add(r, "Cx", NULL, NULL, err, sizeof(err)), 0);
    assert_int_equal(cssf_aeid_reservations_has(r, "Cx"), 1);
    assert_int_equal(cssf_aeid_reservations_add(r, "", "i", "m", err, sizeof(err)), -1);
    assert_int_equal(cssf_aeid_reservations_add(r, NULL, "i", "m", err, sizeof(err)), -1);
    assert_int_equal(cssf_aeid_reservations_has(r, NULL), 0);
    assert_int_equal(cssf_aeid_reservations_has(NULL, "Cx"), 0);
    assert_int_equal(cssf_aeid_reservations_remove(r, "Cx", err, sizeof(err)), 0);
    assert_int_equal(cssf_aeid_reservations_count(r), 0);
    cssf_aeid_reservations_close(r);
    cssf_aeid_reservations_close(NULL);
    assert_int_equal(cssf_aeid_reservations_open("/nonexistent/dir/cse.db", &r, err, 256), -1);
    assert_null(r);
    assert_non_null(strstr(err, "AE-ID reservations /nonexistent/dir/cse.db"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_survive_reopen),
        cmocka_unit_test(test_memory_and_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
