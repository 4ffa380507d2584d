/* The device registry: documents, lookups by every credential, changes,
 * conflicts, revocation, persistence, master key handling and rotation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <unistd.h>

#include "cse/plugin.h"
#include "plugin/data/registry.h"
#include "plugin/data/registry_device.h"
#include "plugin/data/seal.h"

#define KEY1 "00112233445566778899aabbccddeeff"
#define KEY2 "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

typedef struct fixture {
    char dir[64], db[128], key[128];
    cssf_registry_t *r;
} fixture_t;

static cssf_registry_t *open_reg(fixture_t *f, char *err, size_t cap) {
    cssf_registry_options_t o = {f->db, f->key, "/id-in"};
    cssf_registry_t *r = NULL;
    err[0] = '\0';
    cssf_registry_open(&o, &r, err, cap);
    return r;
}

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/test_registry_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof(f->db), "%s/cse.db", f->dir);
    snprintf(f->key, sizeof(f->key), "%s/master.key", f->dir);
    char err[512];
    f->r = open_reg(f, err, sizeof(err));
    assert_non_null(f->r);
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

/* Creates a device from JSON text; returns the status, keeps the result. */
static int create(cssf_registry_t *r, const char *text, cssf_registry_result_t *res) {
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    if (!doc)
        fail_msg("bad test JSON: %s: %s", je.text, text);
    cssf_registry_create(r, doc, res);
    json_decref(doc);
    return res->status;
}

static int create_status(cssf_registry_t *r, const char *text, char *field, size_t cap) {
    cssf_registry_result_t res;
    int st = create(r, text, &res);
    if (field)
        snprintf(field, cap, "%s", res.field);
    cssf_registry_result_clear(&res);
    return st;
}

static void test_device_validation(void **state) {
    fixture_t *f = *state;
    char field[96];
    const struct {
        const char *doc, *field;
    } bad[] = {
        {"[]", ""},
        {"{\"aeids\":[\"Cx\"],\"credentials\":{\"aaa\":true}}", "id"},
        {"{\"id\":\"a b\",\"aeids\":[\"Cx\"],\"credentials\":{\"aaa\":true}}", "id"},
        {"{\"id\":\"d\",\"credentials\":{\"aaa\":true}}", "aeids"},
        {"{\"id\":\"d\",\"aeids\":[],\"credentials\":{\"aaa\":true}}", "aeids"},
        {"{\"id\":\"d\",\"aeids\":[\"*\"],\"credentials\":{\"aaa\":true}}", "aeids[0]"},
        {"{\"id\":\"d\",\"aeids\":[\"/id-in/*\"],\"credentials\":{\"aaa\":true}}", "aeids[0]"},
        {"{\"id\":\"d\",\"aeids\":[\"/id-in\"],\"credentials\":{\"aaa\":true}}", "aeids[0]"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\",\"bad id\"],\"credentials\":{\"aaa\":true}}", "aeids[1]"},
        {"{\"id\":\"d\",\"aeids\":[\"Xsensor\"],\"credentials\":{\"aaa\":true}}", "aeids[0]"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"aaa\":true},\"colour\":1}", "colour"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"]}", "credentials"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{}}", "credentials"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"psk\":{\"identity\":\"i\","
         "\"key\":\"0011\"}}}",
         "credentials.psk.key"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"psk\":{\"identity\":\"i\","
         "\"key\":\"zz112233445566778899aabbccddeeff\"}}}",
         "credentials.psk.key"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"psk\":{\"identity\":\"i\","
         "\"key\":\"0000000000000000000000000000000000\"}}}",
         "credentials.psk.key"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"psk\":{\"identity\":\"i\","
         "\"key\":\"" KEY2 "00\"}}}",
         "credentials.psk.key"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"psk\":{\"key\":\"" KEY1 "\"}}}",
         "credentials.psk.identity"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"psk\":{\"identity\":\"i\","
         "\"extra\":1}}}",
         "credentials.psk.extra"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"aaa\":true,\"psk\":{\"identity\":"
         "\"i\",\"key\":\"" KEY1 "\"}}}",
         "credentials.psk.key"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"certificate\":{\"sha256\":\"ab\"}}}",
         "credentials.certificate.sha256"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"certificate\":{}}}",
         "credentials.certificate"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"aaa\":1}}", "credentials.aaa"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"aaa\":true},\"location\":"
         "{\"lat\":91,\"lon\":0}}",
         "location.lat"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"aaa\":true},\"location\":"
         "{\"lat\":1}}",
         "location.lon"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"aaa\":true},\"location\":"
         "{\"country\":\"de\"}}",
         "location.country"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"aaa\":true},\"state\":\"gone\"}",
         "state"},
        {"{\"id\":\"d\",\"aeids\":[\"Cx\"],\"credentials\":{\"aaa\":true},\"labels\":[1]}",
         "labels[0]"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int st = create_status(f->r, bad[i].doc, field, sizeof(field));
        if (st != CSSF_REG_INVALID || strcmp(field, bad[i].field) != 0)
            fail_msg("case %zu: status %d field '%s', want 400 '%s'", i, st, field, bad[i].field);
    }
    json_t *list = cssf_registry_list(f->r, &(cssf_registry_filter_t){0});
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 0); /* nothing written */
    json_decref(list);
}

static void test_psk_generated_once_and_lookup(void **state) {
    fixture_t *f = *state;
    cssf_registry_result_t res;
    assert_int_equal(create(f->r,
                            "{\"id\":\"meter-1\",\"aeids\":[\"Cmeter1\",\"Cmeter1-*\"],"
                            "\"credentials\":{\"psk\":{\"identity\":\"meter-1@example.net\"}},"
                            "\"labels\":[\"floor:3\"]}",
                            &res),
                     CSSF_REG_CREATED);
    assert_int_equal(strlen(res.psk), 2 * CSSF_PSK_GENERATED);
    char *text = json_dumps(res.doc, 0);
    assert_null(strstr(text, res.psk)); /* the document never holds the key */
    assert_null(strstr(text, "\"key\""));
    free(text);
    char generated[80];
    strcpy(generated, res.psk);
    cssf_registry_result_clear(&res);

    uint8_t key[64];
    size_t len = 0;
    char dev[64];
    assert_int_equal(
        cssf_registry_psk(f->r, "meter-1@example.net", key, sizeof(key), &len, dev, sizeof(dev)),
        CSSF_REG_ACTIVE);
    assert_string_equal(dev, "meter-1");
    assert_int_equal(len, CSSF_PSK_GENERATED);
    char hex[80];
    for (size_t i = 0; i < len; i++)
        sprintf(hex + 2 * i, "%02x", key[i]);
    assert_string_equal(hex, generated);
    assert_int_equal(cssf_registry_psk(f->r, "nobody", key, sizeof(key), &len, dev, sizeof(dev)),
                     CSSF_REG_UNKNOWN);
    /* GET shows no secret either. */
    json_t *doc = cssf_registry_get(f->r, "meter-1");
    text = json_dumps(doc, 0);
    assert_null(strstr(text, generated));
    free(text);
    json_decref(doc);

    /* From checks: patterns, the other spelling, other devices' AE-IDs. */
    assert_int_equal(
        cssf_registry_may_use(f->r, CSE_ASSOC_DTLS_PSK, "meter-1@example.net", "Cmeter1"), 1);
    assert_int_equal(
        cssf_registry_may_use(f->r, CSE_ASSOC_DTLS_PSK, "meter-1@example.net", "/id-in/Cmeter1-b"),
        1);
    assert_int_equal(
        cssf_registry_may_use(f->r, CSE_ASSOC_DTLS_PSK, "meter-1@example.net", "Cmeter2"), 0);
    assert_int_equal(cssf_registry_may_use(f->r, CSE_ASSOC_DTLS_PSK, "unknown", "Cmeter1"), -1);
    /* A PSK identity is not a certificate identity. */
    assert_int_equal(
        cssf_registry_may_use(f->r, CSE_ASSOC_DTLS_CERT, "meter-1@example.net", "Cmeter1"), -1);
}

static void test_given_key_and_conflicts(void **state) {
    fixture_t *f = *state;
    char field[96];
    cssf_registry_result_t res;
    assert_int_equal(create(f->r,
                            "{\"id\":\"d1\",\"aeids\":[\"Cd1\"],\"credentials\":{\"psk\":"
                            "{\"identity\":\"id1\",\"key\":\"" KEY1 "\"},\"oauth\":{\"client_id\":"
                            "\"c1\"},\"certificate\":{\"san\":\"urn:dev:d1\"}}}",
                            &res),
                     CSSF_REG_CREATED);
    assert_string_equal(res.psk, ""); /* a given key is not echoed */
    cssf_registry_result_clear(&res);
    assert_int_equal(create_status(f->r,
                                   "{\"id\":\"d1\",\"aeids\":[\"Cx\"],\"credentials\":{\"aaa\":"
                                   "true}}",
                                   field, sizeof(field)),
                     CSSF_REG_CONFLICT);
    assert_string_equal(field, "id");
    assert_int_equal(create_status(f->r,
                                   "{\"id\":\"d2\",\"aeids\":[\"Cx\"],\"credentials\":{\"psk\":"
                                   "{\"identity\":\"id1\"}}}",
                                   field, sizeof(field)),
                     CSSF_REG_CONFLICT);
    assert_string_equal(field, "credentials.psk.identity");
    assert_int_equal(create_status(f->r,
                                   "{\"id\":\"d2\",\"aeids\":[\"Cx\"],\"credentials\":{\"oauth\":"
                                   "{\"client_id\":\"c1\"}}}",
                                   field, sizeof(field)),
                     CSSF_REG_CONFLICT);
    assert_string_equal(field, "credentials.oauth.client_id");
    assert_int_equal(create_status(f->r,
                                   "{\"id\":\"d2\",\"aeids\":[\"Cx\"],\"credentials\":"
                                   "{\"certificate\":{\"san\":\"urn:dev:d1\"}}}",
                                   field, sizeof(field)),
                     CSSF_REG_CONFLICT);
    assert_string_equal(field, "credentials.certificate.san");
    uint8_t key[64];
    size_t len;
    assert_int_equal(cssf_registry_psk(f->r, "id1", key, sizeof(key), &len, NULL, 0),
                     CSSF_REG_ACTIVE);
    assert_int_equal(len, 16);
    assert_int_equal(key[0], 0x00);
    assert_int_equal(key[15], 0xff);
    char dev[64];
    assert_int_equal(cssf_registry_client(f->r, "c1", dev, sizeof(dev)), CSSF_REG_ACTIVE);
    assert_string_equal(dev, "d1");
    assert_int_equal(cssf_registry_client(f->r, "c2", dev, sizeof(dev)), CSSF_REG_UNKNOWN);
}

static void test_certificates(void **state) {
    fixture_t *f = *state;
    uint8_t fp[32], other[32];
    for (int i = 0; i < 32; i++) {
        fp[i] = (uint8_t)(0xa0 + i);
        other[i] = (uint8_t)i;
    }
    char doc[512], hex[100] = "";
    for (int i = 0; i < 32; i++)
        sprintf(hex + strlen(hex), "%02X%s", fp[i], i < 31 ? ":" : "");
    snprintf(doc, sizeof(doc),
             "{\"id\":\"pinned\",\"aeids\":[\"Cpin\"],\"credentials\":{\"certificate\":"
             "{\"sha256\":\"%s\"}}}",
             hex);
    assert_int_equal(create_status(f->r, doc, NULL, 0), CSSF_REG_CREATED);
    assert_int_equal(create_status(f->r,
                                   "{\"id\":\"bysan\",\"aeids\":[\"Csan\"],\"credentials\":"
                                   "{\"certificate\":{\"san\":\"urn:dev:san\"}}}",
                                   NULL, 0),
                     CSSF_REG_CREATED);
    char ident[300], dev[64];
    assert_int_equal(
        cssf_registry_cert(f->r, "urn:whatever", fp, ident, sizeof(ident), dev, sizeof(dev)),
        CSSF_REG_ACTIVE);
    assert_string_equal(dev, "pinned");
    assert_int_equal(strncmp(ident, "sha256:a0a1a2", 13), 0);
    assert_int_equal(cssf_registry_identity(f->r, CSE_ASSOC_DTLS_CERT, ident, dev, sizeof(dev)),
                     CSSF_REG_ACTIVE);
    assert_string_equal(dev, "pinned");
    assert_int_equal(
        cssf_registry_cert(f->r, "urn:dev:san", other, ident, sizeof(ident), dev, sizeof(dev)),
        CSSF_REG_ACTIVE);
    assert_string_equal(ident, "urn:dev:san");
    assert_int_equal(cssf_registry_may_use(f->r, CSE_ASSOC_TLS_CERT, "urn:dev:san", "Csan"), 1);
    assert_int_equal(
        cssf_registry_cert(f->r, "urn:unknown", other, ident, sizeof(ident), dev, sizeof(dev)),
        CSSF_REG_UNKNOWN);
    /* A device pinning both SAN and fingerprint needs both. */
    snprintf(doc, sizeof(doc),
             "{\"id\":\"both\",\"aeids\":[\"Cboth\"],\"credentials\":{\"certificate\":"
             "{\"san\":\"urn:dev:both\",\"sha256\":\"%064d\"}}}",
             1);
    assert_int_equal(create_status(f->r, doc, NULL, 0), CSSF_REG_CREATED);
    assert_int_equal(
        cssf_registry_cert(f->r, "urn:dev:both", other, ident, sizeof(ident), dev, sizeof(dev)),
        CSSF_REG_MISMATCH);
}

static int update(cssf_registry_t *r, const char *id, const char *text, int merge,
                  cssf_registry_result_t *res) {
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    cssf_registry_update(r, id, doc, merge, res);
    json_decref(doc);
    return res->status;
}

static void test_update_suspend_delete(void **state) {
    fixture_t *f = *state;
    cssf_registry_result_t res;
    assert_int_equal(create(f->r,
                            "{\"id\":\"d1\",\"aeids\":[\"Cd1\"],\"group\":\"g\",\"credentials\":"
                            "{\"psk\":{\"identity\":\"id1\",\"key\":\"" KEY1 "\"}},"
                            "\"location\":{\"lat\":52.5,\"lon\":13.4,\"country\":\"DE\"}}",
                            &res),
                     CSSF_REG_CREATED);
    cssf_registry_result_clear(&res);
    double lat, lon;
    char cc[3];
    assert_int_equal(cssf_registry_locate(f->r, CSE_ASSOC_NONE, NULL, "Cd1", &lat, &lon, cc), 0);
    assert_true(fabs(lat - 52.5) < 1e-9 && fabs(lon - 13.4) < 1e-9);
    assert_string_equal(cc, "DE");
    assert_int_equal(cssf_registry_locate(f->r, CSE_ASSOC_NONE, NULL, "Cnone", &lat, &lon, cc), -1);

    /* PATCH: merge keeps the key; labels change. */
    assert_int_equal(update(f->r, "d1", "{\"labels\":[\"x\"],\"group\":null}", 1, &res),
                     CSSF_REG_OK);
    assert_null(json_object_get(res.doc, "group"));
    assert_string_equal(res.revoked_psk_identity, "");
    cssf_registry_result_clear(&res);
    uint8_t key[64];
    size_t len;
    assert_int_equal(cssf_registry_psk(f->r, "id1", key, sizeof(key), &len, NULL, 0),
                     CSSF_REG_ACTIVE);
    assert_int_equal(len, 16);
    /* The id cannot change; unknown devices are 404. */
    assert_int_equal(update(f->r, "d1", "{\"id\":\"d9\"}", 1, &res), CSSF_REG_INVALID);
    cssf_registry_result_clear(&res);
    assert_int_equal(update(f->r, "nope", "{}", 1, &res), CSSF_REG_NOT_FOUND);
    cssf_registry_result_clear(&res);
    /* An invalid merge result writes nothing. */
    assert_int_equal(update(f->r, "d1", "{\"aeids\":[\"*\"]}", 1, &res), CSSF_REG_INVALID);
    assert_string_equal(res.field, "aeids[0]");
    cssf_registry_result_clear(&res);
    assert_int_equal(cssf_registry_may_use(f->r, CSE_ASSOC_DTLS_PSK, "id1", "Cd1"), 1);

    /* Suspend: no key, From refused, location no longer served by AE-ID. */
    cssf_registry_set_suspended(f->r, "d1", 1, &res);
    assert_int_equal(res.status, CSSF_REG_OK);
    assert_string_equal(res.revoked_psk_identity, "id1");
    cssf_registry_result_clear(&res);
    assert_int_equal(cssf_registry_psk(f->r, "id1", key, sizeof(key), &len, NULL, 0),
                     CSSF_REG_SUSPENDED);
    assert_int_equal(len, 0);
    assert_int_equal(cssf_registry_identity(f->r, CSE_ASSOC_DTLS_PSK, "id1", NULL, 0),
                     CSSF_REG_SUSPENDED);
    assert_int_equal(cssf_registry_may_use(f->r, CSE_ASSOC_DTLS_PSK, "id1", "Cd1"), 0);
    /* PUT without state keeps it suspended. */
    assert_int_equal(update(f->r, "d1",
                            "{\"aeids\":[\"Cd1\"],\"labels\":[\"x\"],\"credentials\":"
                            "{\"psk\":{\"identity\":\"id1\"}}}",
                            0, &res),
                     CSSF_REG_OK);
    assert_string_equal(json_string_value(json_object_get(res.doc, "state")), "suspended");
    assert_string_equal(res.psk, ""); /* the current key stays */
    cssf_registry_result_clear(&res);
    cssf_registry_set_suspended(f->r, "d1", 0, &res);
    cssf_registry_result_clear(&res);
    assert_int_equal(cssf_registry_psk(f->r, "id1", key, sizeof(key), &len, NULL, 0),
                     CSSF_REG_ACTIVE);
    assert_int_equal(key[0], 0x00);
    assert_int_equal(key[15], 0xff);

    /* List filters and paging. */
    assert_int_equal(create_status(f->r,
                                   "{\"id\":\"d2\",\"aeids\":[\"Cd2\"],\"credentials\":{\"aaa\":"
                                   "true},\"labels\":[\"x\"],\"state\":\"suspended\"}",
                                   NULL, 0),
                     CSSF_REG_CREATED);
    cssf_registry_filter_t flt = {.label = "x", .limit = 1};
    json_t *list = cssf_registry_list(f->r, &flt);
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 2);
    assert_int_equal(json_array_size(json_object_get(list, "devices")), 1);
    json_decref(list);
    flt = (cssf_registry_filter_t){.state = "suspended"};
    list = cssf_registry_list(f->r, &flt);
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 1);
    json_decref(list);
    flt = (cssf_registry_filter_t){.offset = 1};
    list = cssf_registry_list(f->r, &flt);
    json_t *first = json_array_get(json_object_get(list, "devices"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), "d2");
    json_decref(list);

    cssf_registry_delete(f->r, "d1", &res);
    assert_int_equal(res.status, CSSF_REG_NO_CONTENT);
    assert_string_equal(res.revoked_psk_identity, "id1");
    cssf_registry_result_clear(&res);
    assert_int_equal(cssf_registry_psk(f->r, "id1", key, sizeof(key), &len, NULL, 0),
                     CSSF_REG_UNKNOWN);
    cssf_registry_delete(f->r, "d1", &res);
    assert_int_equal(res.status, CSSF_REG_NOT_FOUND);
    cssf_registry_result_clear(&res);
    /* AAA-backed device: RADIUS holds the key. */
    assert_int_equal(create_status(f->r,
                                   "{\"id\":\"d3\",\"aeids\":[\"Cd3\"],\"credentials\":{\"aaa\":"
                                   "true,\"psk\":{\"identity\":\"radius-user\"}}}",
                                   NULL, 0),
                     CSSF_REG_CREATED);
    assert_int_equal(cssf_registry_psk(f->r, "radius-user", key, sizeof(key), &len, NULL, 0),
                     CSSF_REG_AAA);
}

static void test_restart_rotation_and_key_refusals(void **state) {
    fixture_t *f = *state;
    char err[512];
    assert_int_equal(create_status(f->r,
                                   "{\"id\":\"d1\",\"aeids\":[\"Cd1\"],\"credentials\":{\"psk\":"
                                   "{\"identity\":\"id1\",\"key\":\"" KEY1 "\"}}}",
                                   NULL, 0),
                     CSSF_REG_CREATED);
    cssf_registry_health_t h;
    cssf_registry_health(f->r, &h);
    char old_id[64];
    strcpy(old_id, h.key_id);
    assert_int_equal(h.devices, 1);
    assert_int_equal(h.store_ok, 1);
    /* Keep a copy of the old key file for later. */
    char old_key[160], cmd[1024];
    snprintf(old_key, sizeof(old_key), "%s/old.key", f->dir);
    snprintf(cmd, sizeof(cmd), "cp -p %s %s", f->key, old_key);
    assert_int_equal(system(cmd), 0);

    cssf_registry_result_t res;
    cssf_registry_rotate_key(f->r, &res);
    assert_int_equal(res.status, CSSF_REG_OK);
    assert_string_not_equal(json_string_value(json_object_get(res.doc, "key_id")), old_id);
    cssf_registry_result_clear(&res);
    uint8_t key[64];
    size_t len;
    assert_int_equal(cssf_registry_psk(f->r, "id1", key, sizeof(key), &len, NULL, 0),
                     CSSF_REG_ACTIVE);
    assert_int_equal(key[1], 0x11);
    struct stat st;
    assert_int_equal(stat(f->key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* Restart: everything is still there under the new key. */
    cssf_registry_close(f->r);
    f->r = open_reg(f, err, sizeof(err));
    assert_non_null(f->r);
    assert_int_equal(cssf_registry_psk(f->r, "id1", key, sizeof(key), &len, NULL, 0),
                     CSSF_REG_ACTIVE);
    assert_int_equal(key[1], 0x11);
    cssf_registry_close(f->r);

    /* The old key file does not open the registry any more. */
    snprintf(cmd, sizeof(cmd), "cp -p %s %s.cur && cp -p %s %s", f->key, f->key, old_key, f->key);
    assert_int_equal(system(cmd), 0);
    f->r = open_reg(f, err, sizeof(err));
    assert_null(f->r);
    assert_non_null(strstr(err, "sealed under key id"));
    snprintf(cmd, sizeof(cmd), "mv %s.cur %s", f->key, f->key);
    assert_int_equal(system(cmd), 0);
    /* A key file others can read is refused. */
    assert_int_equal(chmod(f->key, 0644), 0);
    f->r = open_reg(f, err, sizeof(err));
    assert_null(f->r);
    assert_non_null(strstr(err, "chmod 600"));
    assert_int_equal(chmod(f->key, 0600), 0);
    /* A missing key file while secrets are sealed is refused, not replaced. */
    snprintf(cmd, sizeof(cmd), "mv %s %s.away", f->key, f->key);
    assert_int_equal(system(cmd), 0);
    f->r = open_reg(f, err, sizeof(err));
    assert_null(f->r);
    assert_non_null(strstr(err, "missing"));
    assert_int_equal(access(f->key, F_OK), -1);
    snprintf(cmd, sizeof(cmd), "mv %s.away %s", f->key, f->key);
    assert_int_equal(system(cmd), 0);
    /* A rotation stopped after its commit (key.new beside the old key) is
     * finished at the next start. */
    snprintf(cmd, sizeof(cmd), "mv %s %s.new && cp -p %s %s", f->key, f->key, old_key, f->key);
    assert_int_equal(system(cmd), 0);
    f->r = open_reg(f, err, sizeof(err));
    assert_non_null(f->r);
    char newpath[200];
    snprintf(newpath, sizeof(newpath), "%s.new", f->key);
    assert_int_equal(access(newpath, F_OK), -1);
    assert_int_equal(cssf_registry_psk(f->r, "id1", key, sizeof(key), &len, NULL, 0),
                     CSSF_REG_ACTIVE);
    assert_int_equal(key[1], 0x11);
}

static void test_fresh_key_created(void **state) {
    fixture_t *f = *state;
    struct stat st;
    assert_int_equal(stat(f->key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);
}

/* A stored record that no longer parses (damaged behind the registry's
 * back): after a restart its credentials are refused as a suspended
 * device's, never "unknown" (which would let another source answer for
 * it); the other devices are unaffected. */
static void test_unreadable_record_refused(void **state) {
    fixture_t *f = *state;
    assert_int_equal(create_status(f->r,
                                   "{\"id\":\"bad\",\"aeids\":[\"Cbad\"],\"credentials\":{"
                                   "\"psk\":{\"identity\":\"bad@ex.net\",\"key\":\"" KEY1 "\"},"
                                   "\"certificate\":{\"san\":\"urn:dev:bad\"}}}",
                                   NULL, 0),
                     CSSF_REG_CREATED);
    assert_int_equal(create_status(f->r,
                                   "{\"id\":\"good\",\"aeids\":[\"Cgood\"],\"credentials\":{"
                                   "\"psk\":{\"identity\":\"good@ex.net\",\"key\":\"" KEY1 "\"}}}",
                                   NULL, 0),
                     CSSF_REG_CREATED);
    cssf_registry_close(f->r);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "UPDATE cssf_devices SET doc='{\"id\":' WHERE id='bad'", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    char err[512];
    f->r = open_reg(f, err, sizeof(err));
    assert_non_null(f->r);
    uint8_t key[64];
    size_t len = 0;
    char dev[64], id[128];
    assert_int_equal(cssf_registry_psk(f->r, "bad@ex.net", key, sizeof(key), &len, dev, 64),
                     CSSF_REG_SUSPENDED);
    assert_string_equal(dev, "bad");
    assert_int_equal(cssf_registry_cert(f->r, "urn:dev:bad", NULL, id, sizeof(id), dev, 64),
                     CSSF_REG_SUSPENDED);
    assert_int_equal(cssf_registry_may_use(f->r, CSE_ASSOC_DTLS_PSK, "bad@ex.net", "Cbad"), 0);
    assert_int_equal(cssf_registry_psk(f->r, "good@ex.net", key, sizeof(key), &len, dev, 64),
                     CSSF_REG_ACTIVE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fresh_key_created, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_record_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_psk_generated_once_and_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_given_key_and_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certificates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_suspend_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_rotation_and_key_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
