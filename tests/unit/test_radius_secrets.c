/* RADIUS shared secrets sealed in the registry's store: names and values,
 * sealing and opening, a blob moved to another row does not open, nothing
 * in plaintext in the file, key rotation (and its completion at the next
 * start) re-seals them, and the order the AAA side resolves them in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/aaa/aaa.h"
#include "plugin/aaa/aaa_config.h"
#include "plugin/data/radius_secrets.h"
#include "plugin/data/registry.h"

#define SECRET_A "radius-shared-secret-A1"
#define SECRET_B "radius-shared-secret-B2"

typedef struct fixture {
    char dir[64], db[128], key[128];
    cssf_registry_t *r;
} fixture_t;

static cssf_registry_t *open_reg(fixture_t *f) {
    cssf_registry_options_t o = {f->db, f->key, "/id-in"};
    cssf_registry_t *r = NULL;
    char err[512];
    if (cssf_registry_open(&o, &r, err, sizeof(err)) < 0)
        fail_msg("registry: %s", err);
    return r;
}

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/test_radsec_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof(f->db), "%s/cse.db", f->dir);
    snprintf(f->key, sizeof(f->key), "%s/master.key", f->dir);
    f->r = open_reg(f);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    cssf_registry_close(f->r);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static int put(cssf_registry_t *r, const char *name, const char *secret, int *created) {
    cssf_radius_secret_info_t info;
    char err[256];
    int c = 0;
    int rc = cssf_radius_secrets_put(r, name, secret, strlen(secret), &c, &info, err, sizeof(err));
    if (rc == 0)
        assert_string_equal(info.name, name);
    if (created)
        *created = c;
    return rc;
}

/* 1 if secret opens for name, 0 if there is none, -1 if it fails. */
static int get_is(cssf_registry_t *r, const char *name, const char *secret) {
    uint8_t out[CSSF_RADIUS_SECRET_MAX];
    size_t len = 0;
    int rc = cssf_radius_secrets_get(r, name, out, sizeof(out), &len);
    if (rc == 1) {
        assert_int_equal(len, strlen(secret));
        assert_memory_equal(out, secret, len);
    }
    return rc;
}

/* Whether the file's bytes (and its WAL's) contain needle. */
static int file_has(const char *path, const char *needle) {
    char wal[160];
    const char *paths[2] = {path, wal};
    snprintf(wal, sizeof(wal), "%s-wal", path);
    for (int i = 0; i < 2; i++) {
        FILE *fp = fopen(paths[i], "rb");
        if (!fp)
            continue;
        fseek(fp, 0, SEEK_END);
        long n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        char *buf = malloc((size_t)n + 1);
        assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
        fclose(fp);
        int found = 0;
        size_t k = strlen(needle);
        for (long j = 0; j + (long)k <= n && !found; j++)
            found = memcmp(buf + j, needle, k) == 0;
        free(buf);
        if (found)
            return 1;
    }
    return 0;
}

static void test_names_and_values(void **state) {
    (void)state;
    const char *good[] = {"127.0.0.1:1812", "[::1]:1812", "[2001:db8::5]:65535",
                          "radius.example.net:1813", "psk-password"};
    const char *bad[] = {
        "",         "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:01812", "127.0.0.1:65536",
        "::1:1812", "[::1]1812", "[zz]:1812",  "a b:1812",    ":1812",           "127.0.0.1:1812:x",
        "psk",      "[]:1812"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(cssf_radius_secrets_name_ok(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (cssf_radius_secrets_name_ok(bad[i]))
            fail_msg("accepted name '%s'", bad[i]);
    char big[200];
    memset(big, 'x', sizeof(big));
    assert_true(cssf_radius_secrets_value_ok("s", 1));
    assert_true(cssf_radius_secrets_value_ok(big, 128));
    assert_false(cssf_radius_secrets_value_ok(big, 129));
    assert_false(cssf_radius_secrets_value_ok("", 0));
    assert_false(cssf_radius_secrets_value_ok("a\0b", 3));
    char ctx[64];
    cssf_radius_secrets_context("127.0.0.1:1812", ctx, sizeof(ctx));
    assert_string_equal(ctx, "radius:127.0.0.1:1812");
}

static void test_seal_open_delete(void **state) {
    fixture_t *f = *state;
    int created = 0;
    assert_int_equal(get_is(f->r, "127.0.0.1:1812", SECRET_A), 0);
    assert_int_equal(put(f->r, "127.0.0.1:1812", SECRET_A, &created), 0);
    assert_true(created);
    assert_int_equal(put(f->r, "[::1]:1812", SECRET_B, &created), 0);
    assert_int_equal(get_is(f->r, "127.0.0.1:1812", SECRET_A), 1);
    assert_int_equal(get_is(f->r, "[::1]:1812", SECRET_B), 1);
    /* Replacing is not creating. */
    assert_int_equal(put(f->r, "127.0.0.1:1812", SECRET_B, &created), 0);
    assert_false(created);
    assert_int_equal(get_is(f->r, "127.0.0.1:1812", SECRET_B), 1);
    /* Bad names and values are refused before anything is stored. */
    assert_int_equal(put(f->r, "127.0.0.1", SECRET_A, NULL), -1);
    cssf_radius_secret_info_t info;
    char err[128];
    assert_int_equal(
        cssf_radius_secrets_put(f->r, "127.0.0.1:1", "a\0b", 3, &created, &info, err, sizeof(err)),
        -1);
    cssf_radius_secret_info_t rows[8];
    size_t n = 0;
    assert_int_equal(cssf_radius_secrets_list(f->r, rows, 8, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].name, "127.0.0.1:1812");
    assert_int_equal(strlen(rows[0].key_id), CSSF_SEAL_KEY_ID_LEN);
    assert_int_equal(cssf_radius_secrets_info(f->r, "[::1]:1812", &info), 1);
    assert_int_equal(cssf_radius_secrets_info(f->r, "[::1]:1813", &info), 0);
    assert_int_equal(cssf_radius_secrets_delete(f->r, "[::1]:1812", err, sizeof(err)), 0);
    assert_int_equal(cssf_radius_secrets_delete(f->r, "[::1]:1812", err, sizeof(err)), 1);
    assert_int_equal(get_is(f->r, "[::1]:1812", SECRET_B), 0);
    /* Durable: a new handle on the same file opens what the old one sealed. */
    cssf_registry_close(f->r);
    f->r = open_reg(f);
    assert_int_equal(get_is(f->r, "127.0.0.1:1812", SECRET_B), 1);
    assert_false(file_has(f->db, SECRET_A));
    assert_false(file_has(f->db, SECRET_B));
}

static void test_row_limit(void **state) {
    fixture_t *f = *state;
    char name[32];
    for (int i = 0; i < CSSF_RADIUS_SECRETS_ROWS; i++) {
        snprintf(name, sizeof(name), "10.0.0.%d:1812", i + 1);
        assert_int_equal(put(f->r, name, "s", NULL), 0);
    }
    assert_int_equal(put(f->r, "10.0.1.1:1812", "s", NULL), 1);
    assert_int_equal(put(f->r, "10.0.0.1:1812", "replaced", NULL), 0); /* existing row: fine */
}

/* A blob copied into another row does not open there. */
static void test_wrong_context(void **state) {
    fixture_t *f = *state;
    assert_int_equal(put(f->r, "127.0.0.1:1812", SECRET_A, NULL), 0);
    assert_int_equal(put(f->r, "127.0.0.1:1813", SECRET_B, NULL), 0);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE cssf_radius_secrets SET sealed=(SELECT sealed FROM "
                                  "cssf_radius_secrets WHERE name='127.0.0.1:1812') "
                                  "WHERE name='127.0.0.1:1813'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(get_is(f->r, "127.0.0.1:1812", SECRET_A), 1);
    assert_int_equal(get_is(f->r, "127.0.0.1:1813", SECRET_A), -1);
    /* Rotation refuses to re-seal what does not open, and changes nothing. */
    cssf_registry_result_t res;
    cssf_registry_health_t h0, h1;
    cssf_registry_health(f->r, &h0);
    cssf_registry_rotate_key(f->r, &res);
    assert_int_equal(res.status, CSSF_REG_FAILED);
    assert_non_null(strstr(res.error, "127.0.0.1:1813"));
    cssf_registry_result_clear(&res);
    cssf_registry_health(f->r, &h1);
    assert_string_equal(h0.key_id, h1.key_id);
    assert_int_equal(get_is(f->r, "127.0.0.1:1812", SECRET_A), 1);
}

static void read_file(const char *path, char *out, size_t cap) {
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(out, 1, cap - 1, fp);
    out[n] = '\0';
    fclose(fp);
}

static void test_rotation_reseals(void **state) {
    fixture_t *f = *state;
    assert_int_equal(put(f->r, "127.0.0.1:1812", SECRET_A, NULL), 0);
    assert_int_equal(put(f->r, "psk-password", SECRET_B, NULL), 0);
    cssf_radius_secret_info_t before, after;
    assert_int_equal(cssf_radius_secrets_info(f->r, "127.0.0.1:1812", &before), 1);
    char old_key[128];
    read_file(f->key, old_key, sizeof(old_key));
    cssf_registry_result_t res;
    cssf_registry_rotate_key(f->r, &res);
    assert_int_equal(res.status, CSSF_REG_OK);
    assert_int_equal(json_integer_value(json_object_get(res.doc, "radius_resealed")), 2);
    const char *new_id = json_string_value(json_object_get(res.doc, "key_id"));
    assert_int_equal(cssf_radius_secrets_info(f->r, "127.0.0.1:1812", &after), 1);
    assert_string_equal(after.key_id, new_id);
    assert_string_not_equal(after.key_id, before.key_id);
    cssf_registry_result_clear(&res);
    assert_int_equal(get_is(f->r, "127.0.0.1:1812", SECRET_A), 1);
    assert_int_equal(get_is(f->r, "psk-password", SECRET_B), 1);
    /* After a restart with the new key file. */
    cssf_registry_close(f->r);
    f->r = open_reg(f);
    assert_int_equal(get_is(f->r, "127.0.0.1:1812", SECRET_A), 1);

    /* A rotation stopped between its commit and the key file's rename: the
     * old key file is still in place, the new one beside it as .new. The
     * next start finishes it, and the re-sealed rows open. */
    cssf_registry_rotate_key(f->r, &res);
    assert_int_equal(res.status, CSSF_REG_OK);
    cssf_registry_result_clear(&res);
    cssf_registry_close(f->r);
    f->r = NULL;
    char newpath[160], cur[128];
    snprintf(newpath, sizeof(newpath), "%s.new", f->key);
    read_file(f->key, cur, sizeof(cur));
    assert_int_equal(rename(f->key, newpath), 0);
    FILE *fp = fopen(f->key, "w");
    assert_non_null(fp);
    fputs(old_key, fp); /* some older key: the store says which one it wants */
    fclose(fp);
    assert_int_equal(chmod(f->key, 0600), 0);
    f->r = open_reg(f);
    assert_int_equal(access(newpath, F_OK), -1);
    char now_key[128];
    read_file(f->key, now_key, sizeof(now_key));
    assert_string_equal(now_key, cur);
    assert_int_equal(get_is(f->r, "127.0.0.1:1812", SECRET_A), 1);
    assert_int_equal(get_is(f->r, "psk-password", SECRET_B), 1);
    assert_false(file_has(f->db, SECRET_A));
}

/* --- resolution order on the AAA side --------------------------------------- */

static int sealed_lookup(void *ctx, const char *name, uint8_t *out, size_t cap, size_t *len) {
    if (strcmp(name, "127.0.0.1:1813") == 0 && ctx == NULL)
        return -1; /* the store cannot tell */
    return ctx ? cssf_radius_secrets_get(ctx, name, out, cap, len) : 0;
}

static int source_of(cssf_aaa_t *a, const char *name) {
    cssf_aaa_secret_info_t info[17];
    size_t n = cssf_aaa_secret_sources(a, info, 17);
    for (size_t i = 0; i < n; i++)
        if (strcmp(info[i].name, name) == 0)
            return info[i].source;
    fail_msg("no entry for %s", name);
    return -1;
}

static int client_has_secret(cssf_aaa_t *a, const char *name) {
    cssf_radius_server_info_t info[16];
    size_t n = cssf_radius_servers(cssf_aaa_radius(a), info, 16);
    for (size_t i = 0; i < n; i++)
        if (strcmp(info[i].name, name) == 0)
            return info[i].has_secret;
    return -1;
}

static cssf_aaa_t *aaa_with(const char *const *kv) {
    cssf_aaa_config_t cfg;
    char err[256];
    cssf_aaa_t *a = NULL;
    cssf_aaa_config_init(&cfg);
    for (; kv[0]; kv += 2)
        assert_int_equal(cssf_aaa_config_option(&cfg, kv[0], kv[1], err, sizeof(err)), 1);
    assert_int_equal(cssf_aaa_create(&cfg, "/id-in", &a, err, sizeof(err)), 0);
    cssf_aaa_config_free(&cfg);
    assert_non_null(a);
    return a;
}

static void test_resolution_order(void **state) {
    fixture_t *f = *state;
    char path[160];
    snprintf(path, sizeof(path), "%s/radius.secret", f->dir);
    FILE *fp = fopen(path, "w");
    fputs("file-secret\n", fp);
    fclose(fp);
    const char *kv[] = {"radius_auth_servers",
                        "127.0.0.1:1812:inline-secret 127.0.0.1:1813 [::1]:01814",
                        "radius_secret_file",
                        path,
                        "radius_timeout_ms",
                        "50",
                        "radius_retries",
                        "0",
                        NULL};
    cssf_aaa_t *a = aaa_with(kv);
    /* Before any resolution: the configuration's plaintext. */
    assert_int_equal(source_of(a, "127.0.0.1:1812"), CSSF_AAA_SECRET_INLINE);
    assert_int_equal(source_of(a, "127.0.0.1:1813"), CSSF_AAA_SECRET_FILE);
    assert_int_equal(source_of(a, "[::1]:1814"), CSSF_AAA_SECRET_FILE);
    /* A store that cannot tell keeps what is in use. */
    assert_int_equal(cssf_aaa_resolve_secrets(a, sealed_lookup, NULL, NULL, 1), 2);
    assert_int_equal(source_of(a, "127.0.0.1:1813"), CSSF_AAA_SECRET_FILE);
    /* Sealed wins over inline and file. */
    assert_int_equal(put(f->r, "127.0.0.1:1812", SECRET_A, NULL), 0);
    assert_int_equal(put(f->r, "[::1]:1814", SECRET_B, NULL), 0);
    assert_int_equal(cssf_aaa_resolve_secrets(a, sealed_lookup, f->r, NULL, 1), 3);
    assert_int_equal(source_of(a, "127.0.0.1:1812"), CSSF_AAA_SECRET_SEALED);
    assert_int_equal(source_of(a, "127.0.0.1:1813"), CSSF_AAA_SECRET_FILE);
    assert_int_equal(source_of(a, "[::1]:1814"), CSSF_AAA_SECRET_SEALED);
    /* Deleting the sealed one falls back to the plaintext (one name only). */
    char err[128];
    assert_int_equal(cssf_radius_secrets_delete(f->r, "127.0.0.1:1812", err, sizeof(err)), 0);
    assert_int_equal(cssf_aaa_resolve_secrets(a, sealed_lookup, f->r, "127.0.0.1:1812", 0), 1);
    assert_int_equal(source_of(a, "127.0.0.1:1812"), CSSF_AAA_SECRET_INLINE);
    assert_int_equal(source_of(a, "[::1]:1814"), CSSF_AAA_SECRET_SEALED);
    assert_string_equal(cssf_aaa_secret_source_name(CSSF_AAA_SECRET_FILE), "file");
    cssf_aaa_destroy(a);
}

/* No secret anywhere: not an error at start; requests fail closed naming
 * the server until a sealed one is put in use. */
static void test_no_secret_fails_closed(void **state) {
    fixture_t *f = *state;
    const char *kv[] = {
        "radius_auth_servers", "127.0.0.1:9", "radius_basic",   "on", "radius_psk", "on",
        "radius_timeout_ms",   "50",          "radius_retries", "0",  NULL};
    cssf_aaa_t *a = aaa_with(kv);
    assert_int_equal(cssf_aaa_resolve_secrets(a, sealed_lookup, f->r, NULL, 1), 2);
    assert_int_equal(source_of(a, "127.0.0.1:9"), CSSF_AAA_SECRET_NONE);
    assert_int_equal(source_of(a, "psk-password"), CSSF_AAA_SECRET_NONE);
    assert_int_equal(client_has_secret(a, "127.0.0.1:9"), 0);
    char reason[256];
    assert_int_equal(cssf_aaa_check_password(a, "alice", "pw", NULL, reason, sizeof(reason)), 0);
    assert_non_null(strstr(reason, "no shared secret for 127.0.0.1:9; set one with cssfctl "
                                   "radius set-secret"));
    uint8_t key[64];
    size_t len;
    assert_int_equal(
        cssf_aaa_psk_lookup(a, "dev1", NULL, key, sizeof(key), &len, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "set-secret psk-password"));
    /* Many refusals do not mark the server dead: it was never asked. */
    for (int i = 0; i < 5; i++)
        cssf_aaa_check_password(a, "alice", "pw", NULL, reason, sizeof(reason));
    assert_non_null(strstr(reason, "no shared secret"));
    /* Sealed now: in use at once, and requests go out (nothing listens on
     * port 9 here, so they time out instead). */
    assert_int_equal(put(f->r, "127.0.0.1:9", SECRET_A, NULL), 0);
    assert_int_equal(put(f->r, "psk-password", SECRET_B, NULL), 0);
    cssf_aaa_resolve_secrets(a, sealed_lookup, f->r, "127.0.0.1:9", 0);
    cssf_aaa_resolve_secrets(a, sealed_lookup, f->r, "psk-password", 0);
    assert_int_equal(client_has_secret(a, "127.0.0.1:9"), 1);
    assert_int_equal(source_of(a, "psk-password"), CSSF_AAA_SECRET_SEALED);
    assert_int_equal(cssf_aaa_check_password(a, "alice", "pw", NULL, reason, sizeof(reason)), 0);
    assert_null(strstr(reason, "no shared secret"));
    assert_non_null(strstr(reason, "RADIUS"));
    assert_int_equal(
        cssf_aaa_psk_lookup(a, "dev1", NULL, key, sizeof(key), &len, reason, sizeof(reason)), -1);
    assert_null(strstr(reason, "psk-password"));
    cssf_aaa_destroy(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_values),
        cmocka_unit_test_setup_teardown(test_seal_open_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_reseals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolution_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_secret_fails_closed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
