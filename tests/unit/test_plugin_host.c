/*
 * Plugin host: loading errors, version negotiation, registration rules,
 * chain results and order, cleanup order. Loads the real test plugins of
 * tests/plugins/ from the build directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cse/core/plugin_host.h"
#include "cse/host.h"

#ifndef CSE_TEST_PLUGIN_DIR
#error "CSE_TEST_PLUGIN_DIR must name the directory of the built test plugins"
#endif

typedef struct fixture {
    char record[64]; /* record file of plugin_record */
    char err[512];
} fixture_t;

static const char *plugin_path(const char *name) {
    static char path[1024];
    snprintf(path, sizeof(path), "%s/%s.so", CSE_TEST_PLUGIN_DIR, name);
    return path;
}

static int load(fixture_t *f, const char *name) {
    return cse_plugin_host_load(plugin_path(name), NULL, 0, f->err, sizeof(f->err));
}

/* Loads plugin_record with name, answer and any extra key/value pairs. */
static int load_record(fixture_t *f, const char *name, const char *answer, const char *key,
                       const char *value) {
    cse_plugin_opt_t opts[4] = {
        {"record_file", f->record}, {"name", name}, {"answer", answer}, {key, value}};
    return cse_plugin_host_load(plugin_path("plugin_record"), opts, key ? 4 : 3, f->err,
                                sizeof(f->err));
}

/* Every line of the record file, as a JSON array (caller decrefs). */
static json_t *read_records(const fixture_t *f) {
    json_t *all = json_array();
    FILE *in = fopen(f->record, "r");
    assert_non_null(in);
    char line[16384];
    while (fgets(line, sizeof(line), in)) {
        json_error_t jerr;
        json_t *rec = json_loads(line, 0, &jerr);
        if (!rec)
            fail_msg("bad record line: %s (%s)", line, jerr.text);
        json_array_append_new(all, rec);
    }
    fclose(in);
    return all;
}

static const char *rec_str(json_t *all, size_t i, const char *key) {
    json_t *v = json_object_get(json_array_get(all, i), key);
    return json_is_string(v) ? json_string_value(v) : "(missing)";
}

static long long rec_int(json_t *all, size_t i, const char *key) {
    json_t *v = json_object_get(json_array_get(all, i), key);
    if (!json_is_integer(v))
        fail_msg("record %zu has no integer %s", i, key);
    return json_integer_value(v);
}

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->record, sizeof(f->record), "/tmp/cse-plugin-record-XXXXXX");
    int fd = mkstemp(f->record);
    if (fd < 0)
        return -1;
    close(fd);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    cse_plugin_host_unload_all();
    unlink(f->record);
    free(f);
    return 0;
}

static cse_evt_authorize_t authorize_event(void) {
    cse_evt_authorize_t e = {
        .version = 1, .originator = "Cae1", .operation = CSE_OP_RETRIEVE, .rqi = "rq-1"};
    return e;
}

/* --- loading errors ------------------------------------------------------ */

static void test_missing_file(void **state) {
    fixture_t *f = *state;
    assert_int_equal(cse_plugin_host_load("/nonexistent/dir/x.so", NULL, 0, f->err, sizeof(f->err)),
                     -1);
    const char *prefix = "plugin /nonexistent/dir/x.so: cannot open: ";
    assert_memory_equal(f->err, prefix, strlen(prefix));
    assert_non_null(strstr(f->err, "No such file"));
    assert_int_equal(cse_plugin_host_count(), 0);
}

static void test_relative_path_is_a_file(void **state) {
    fixture_t *f = *state;
    /* Without a slash the name must not be looked up in the library path. */
    assert_int_equal(cse_plugin_host_load("libc.so.6", NULL, 0, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "plugin libc.so.6: cannot open: "));
}

static void test_missing_symbol(void **state) {
    fixture_t *f = *state;
    char want[1200];
    assert_int_equal(load(f, "plugin_no_cleanup"), -1);
    snprintf(want, sizeof(want), "plugin %s: missing symbol cse_plugin_cleanup",
             plugin_path("plugin_no_cleanup"));
    assert_string_equal(f->err, want);
    assert_int_equal(cse_plugin_host_count(), 0);
}

static void test_refused_version(void **state) {
    fixture_t *f = *state;
    char want[1200];
    assert_int_equal(load(f, "plugin_bad_version"), -1);
    snprintf(want, sizeof(want), "plugin %s: refused every ABI version offered (1)",
             plugin_path("plugin_bad_version"));
    assert_string_equal(f->err, want);

    /* Picking a version that was not offered is a refusal too. */
    assert_int_equal(load(f, "plugin_unoffered_version"), -1);
    snprintf(want, sizeof(want), "plugin %s: refused every ABI version offered (1)",
             plugin_path("plugin_unoffered_version"));
    assert_string_equal(f->err, want);
    assert_int_equal(cse_plugin_host_count(), 0);
}

static void test_init_fails(void **state) {
    fixture_t *f = *state;
    char want[1200];
    assert_int_equal(load(f, "plugin_init_fails"), -1);
    snprintf(want, sizeof(want), "plugin %s: init failed (rc 3)", plugin_path("plugin_init_fails"));
    assert_string_equal(f->err, want);
    /* The permit it registered before failing must be gone. */
    assert_int_equal(cse_plugin_host_count(), 0);
    assert_int_equal(cse_plugin_host_has(CSE_EVT_AUTHORIZE), 0);
    cse_evt_authorize_t e = authorize_event();
    assert_int_equal(cse_plugin_host_run(CSE_EVT_AUTHORIZE, &e), CSE_PLUGIN_DEFER);
}

static void test_record_without_file_fails(void **state) {
    fixture_t *f = *state;
    assert_int_equal(
        cse_plugin_host_load(plugin_path("plugin_record"), NULL, 0, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, ": init failed (rc 2)"));
}

static void test_bad_arguments(void **state) {
    fixture_t *f = *state;
    assert_int_equal(cse_plugin_host_load(NULL, NULL, 0, f->err, sizeof(f->err)), -1);
    assert_int_equal(cse_plugin_host_load("", NULL, 0, f->err, sizeof(f->err)), -1);
    assert_int_equal(
        cse_plugin_host_load(plugin_path("plugin_defer"), NULL, 2, f->err, sizeof(f->err)), -1);
    /* A NULL error buffer is allowed. */
    assert_int_equal(cse_plugin_host_load("/nonexistent.so", NULL, 0, NULL, 0), -1);
    assert_int_equal(cse_plugin_host_count(), 0);
}

/* --- chains -------------------------------------------------------------- */

static void test_no_plugin_defers(void **state) {
    (void)state;
    cse_evt_authorize_t e = authorize_event();
    assert_int_equal(cse_plugin_host_has(CSE_EVT_AUTHORIZE), 0);
    assert_int_equal(cse_plugin_host_run(CSE_EVT_AUTHORIZE, &e), CSE_PLUGIN_DEFER);
}

static void test_defer_chain(void **state) {
    fixture_t *f = *state;
    assert_int_equal(load(f, "plugin_defer"), 0);
    assert_int_equal(load(f, "plugin_defer"), 0); /* same object twice: two plugins */
    assert_int_equal(cse_plugin_host_count(), 2);
    for (int ev = CSE_EVT_AUTHENTICATE; ev < CSE_EVT_COUNT_; ev++)
        assert_int_equal(cse_plugin_host_has(ev), 1);
    cse_evt_authorize_t e = authorize_event();
    assert_int_equal(cse_plugin_host_run(CSE_EVT_AUTHORIZE, &e), CSE_PLUGIN_DEFER);
    assert_int_equal(e.rsc, 0);
    assert_null(e.reason);
}

static void test_first_non_defer_wins(void **state) {
    fixture_t *f = *state;
    cse_evt_authorize_t e = authorize_event();

    assert_int_equal(load(f, "plugin_defer"), 0);
    assert_int_equal(load(f, "plugin_allow_all"), 0);
    assert_int_equal(load(f, "plugin_deny_all"), 0);
    assert_int_equal(cse_plugin_host_run(CSE_EVT_AUTHORIZE, &e), CSE_PLUGIN_OK);
    assert_null(e.reason);
    cse_plugin_host_unload_all();
    assert_int_equal(cse_plugin_host_count(), 0);

    assert_int_equal(load(f, "plugin_defer"), 0);
    assert_int_equal(load(f, "plugin_deny_all"), 0);
    assert_int_equal(load(f, "plugin_allow_all"), 0);
    assert_int_equal(cse_plugin_host_run(CSE_EVT_AUTHORIZE, &e), CSE_PLUGIN_DENY);
    assert_int_equal(e.rsc, 4103);
    assert_string_equal(e.reason, "denied by plugin_deny_all");
    cse_free(e.reason);
}

static void test_allow_all_authenticates_claimed_from(void **state) {
    fixture_t *f = *state;
    char identity[64] = "";
    cse_evt_authenticate_t e = {
        .version = 1, .from = "CAdmin", .identity = identity, .identity_cap = sizeof(identity)};
    assert_int_equal(load(f, "plugin_allow_all"), 0);
    assert_int_equal(cse_plugin_host_run(CSE_EVT_AUTHENTICATE, &e), CSE_PLUGIN_OK);
    assert_string_equal(identity, "CAdmin");
    assert_int_equal(e.is_admin, 1);
    assert_int_equal(e.authenticated, 0);
    e.from = "Cae1";
    assert_int_equal(cse_plugin_host_run(CSE_EVT_AUTHENTICATE, &e), CSE_PLUGIN_OK);
    assert_int_equal(e.is_admin, 0);
    /* It knows no PSKs: the host's all-DEFER denial applies. */
    cse_evt_psk_lookup_t psk = {.version = 1, .identity = "x"};
    assert_int_equal(cse_plugin_host_run(CSE_EVT_PSK_LOOKUP, &psk), CSE_PLUGIN_DEFER);
}

static void test_chain_order_and_cleanup_order(void **state) {
    fixture_t *f = *state;
    assert_int_equal(load_record(f, "A", "defer", NULL, NULL), 0);
    assert_int_equal(load_record(f, "B", "ok", "answer_authorize", "ok"), 0);
    assert_int_equal(load_record(f, "C", "deny", NULL, NULL), 0);
    cse_evt_authorize_t e = authorize_event();
    assert_int_equal(cse_plugin_host_run(CSE_EVT_AUTHORIZE, &e), CSE_PLUGIN_OK);
    cse_plugin_host_unload_all();

    json_t *all = read_records(f);
    const char *want[][2] = {{"A", "init"},      {"B", "init"},      {"C", "init"},
                             {"A", "authorize"}, {"B", "authorize"}, {"C", "cleanup"},
                             {"B", "cleanup"},   {"A", "cleanup"}};
    assert_int_equal(json_array_size(all), sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_string_equal(rec_str(all, i, "plugin"), want[i][0]);
        assert_string_equal(rec_str(all, i, "event"), want[i][1]);
    }
    assert_string_equal(rec_str(all, 3, "answer"), "defer");
    assert_string_equal(rec_str(all, 4, "answer"), "ok");
    assert_string_equal(rec_str(all, 4, "originator"), "Cae1");
    assert_string_equal(rec_str(all, 4, "rqi"), "rq-1");
    assert_int_equal(rec_int(all, 4, "operation"), CSE_OP_RETRIEVE);
    /* Options reach init, and cleanup gets the same list. */
    json_t *opts = json_object_get(json_array_get(all, 1), "options");
    assert_string_equal(json_string_value(json_object_get(opts, "answer_authorize")), "ok");
    assert_string_equal(json_string_value(json_object_get(opts, "record_file")), f->record);
    assert_int_equal(rec_int(all, 6, "options_count"), 4);
    assert_string_equal(rec_str(all, 6, "first_option"), "record_file");
    json_decref(all);
}

static void test_options_are_copied(void **state) {
    fixture_t *f = *state;
    char key[32] = "name", value[32] = "copied";
    cse_plugin_opt_t opts[] = {{"record_file", f->record}, {key, value}};
    assert_int_equal(
        cse_plugin_host_load(plugin_path("plugin_record"), opts, 2, f->err, sizeof(f->err)), 0);
    /* The configuration may free its strings once start-up is over. */
    snprintf(key, sizeof(key), "garbage");
    cse_plugin_host_unload_all();
    json_t *all = read_records(f);
    assert_string_equal(rec_str(all, 1, "event"), "cleanup");
    assert_int_equal(rec_int(all, 1, "options_count"), 2);
    assert_string_equal(rec_str(all, 1, "first_option"), "record_file");
    json_decref(all);
}

static void test_unknown_result_denies(void **state) {
    fixture_t *f = *state;
    assert_int_equal(load_record(f, "odd", "77", NULL, NULL), 0);
    assert_int_equal(load(f, "plugin_allow_all"), 0);
    cse_evt_authorize_t e = authorize_event();
    assert_int_equal(cse_plugin_host_run(CSE_EVT_AUTHORIZE, &e), CSE_PLUGIN_DENY);
    assert_null(e.reason); /* the host decided, not the plugin */
    json_t *all = read_records(f);
    assert_int_equal(json_array_size(all), 2); /* init, authorize */
    assert_string_equal(rec_str(all, 1, "answer"), "other");
    json_decref(all);
}

static void test_deny_sets_reason(void **state) {
    fixture_t *f = *state;
    char identity[64] = "";
    assert_int_equal(load_record(f, "R", "deny", NULL, NULL), 0);
    cse_evt_authenticate_t e = {
        .version = 1, .from = "Cx", .identity = identity, .identity_cap = sizeof(identity)};
    assert_int_equal(cse_plugin_host_run(CSE_EVT_AUTHENTICATE, &e), CSE_PLUGIN_DENY);
    assert_int_equal(e.rsc, 4106);
    assert_string_equal(e.reason, "denied by R");
    cse_free(e.reason);
}

/* --- registration rules --------------------------------------------------- */

static void test_registration_rules(void **state) {
    fixture_t *f = *state;
    assert_int_equal(load_record(f, "reg", "defer", NULL, NULL), 0);
    cse_evt_reload_t reload = {.version = 1};
    assert_int_equal(cse_plugin_host_run(CSE_EVT_RELOAD, &reload), CSE_PLUGIN_DEFER);
    json_t *all = read_records(f);
    assert_int_equal(rec_int(all, 0, "register_event_0"), -1);
    assert_int_equal(rec_int(all, 0, "register_event_past_end"), -1);
    assert_int_equal(rec_int(all, 0, "register_duplicate"), -1);
    assert_int_equal(rec_int(all, 0, "register_null_fn"), -1);
    /* During a callback, after init: refused. */
    assert_string_equal(rec_str(all, 1, "event"), "reload");
    assert_int_equal(rec_int(all, 1, "late_register"), -1);
    json_decref(all);
    /* And a refused registration changed nothing: one callback per event. */
    cse_evt_accounting_t acct = {.version = 1, .kind = CSE_ACCT_REQUEST};
    assert_int_equal(cse_plugin_host_run(CSE_EVT_ACCOUNTING, &acct), CSE_PLUGIN_DEFER);
    all = read_records(f);
    assert_int_equal(json_array_size(all), 3);
    json_decref(all);
    assert_int_equal(cse_callback_register(NULL, CSE_EVT_AUTHORIZE, NULL, NULL), -1);
}

static void test_unknown_event_denies(void **state) {
    fixture_t *f = *state;
    assert_int_equal(load(f, "plugin_allow_all"), 0);
    assert_int_equal(cse_plugin_host_run(0, NULL), CSE_PLUGIN_DENY);
    assert_int_equal(cse_plugin_host_run(CSE_EVT_COUNT_, NULL), CSE_PLUGIN_DENY);
    assert_int_equal(cse_plugin_host_has(0), 0);
    assert_int_equal(cse_plugin_host_has(CSE_EVT_COUNT_), 0);
}

/* --- host memory ----------------------------------------------------------- */

static void test_host_memory(void **state) {
    (void)state;
    assert_null(cse_strdup(NULL));
    char *s = cse_strdup("reason");
    assert_string_equal(s, "reason");
    cse_free(s);
    void *p = cse_malloc(0);
    assert_non_null(p);
    cse_free(p);
    cse_free(NULL);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_missing_file),
        T(test_relative_path_is_a_file),
        T(test_missing_symbol),
        T(test_refused_version),
        T(test_init_fails),
        T(test_record_without_file_fails),
        T(test_bad_arguments),
        T(test_no_plugin_defers),
        T(test_defer_chain),
        T(test_first_non_defer_wins),
        T(test_allow_all_authenticates_claimed_from),
        T(test_chain_order_and_cleanup_order),
        T(test_options_are_copied),
        T(test_unknown_result_denies),
        T(test_deny_sets_reason),
        T(test_registration_rules),
        T(test_unknown_event_denies),
        T(test_host_memory),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
