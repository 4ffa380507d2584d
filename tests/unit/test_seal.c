/* Sealed secrets: round trip, tamper and context detection, key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/data/seal.h"

typedef struct fixture {
    cssf_rng_t *rng;
    cssf_seal_key_t key;
    char dir[64];
} fixture_t;

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof(*f));
    f->rng = cssf_rng_create("test");
    assert_non_null(f->rng);
    assert_int_equal(cssf_seal_key_generate(&f->key, f->rng), 0);
    strcpy(f->dir, "/tmp/test_seal_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    cssf_rng_destroy(f->rng);
    free(f);
    return 0;
}

static void test_round_trip(void **state) {
    fixture_t *f = *state;
    const uint8_t pt[] = "0123456789abcdef0123456789abcdef";
    uint8_t blob[64 + CSSF_SEAL_OVERHEAD], out[64];
    size_t blen = 0, olen = 0;
    assert_int_equal(cssf_seal(&f->key, f->rng, pt, 32, "dev1", blob, sizeof(blob), &blen), 0);
    assert_int_equal(blen, 32 + CSSF_SEAL_OVERHEAD);
    assert_int_equal(blob[0], 1);
    assert_memory_not_equal(blob + 1 + CSSF_SEAL_NONCE_LEN, pt, 32); /* not in the clear */
    assert_int_equal(cssf_unseal(&f->key, blob, blen, "dev1", out, sizeof(out), &olen), 0);
    assert_int_equal(olen, 32);
    assert_memory_equal(out, pt, 32);
    /* Two seals of the same secret differ (random nonce). */
    uint8_t blob2[sizeof(blob)];
    size_t blen2 = 0;
    assert_int_equal(cssf_seal(&f->key, f->rng, pt, 32, "dev1", blob2, sizeof(blob2), &blen2), 0);
    assert_memory_not_equal(blob, blob2, blen);
    /* Too small an output buffer is refused. */
    assert_int_equal(cssf_seal(&f->key, f->rng, pt, 32, "dev1", blob, 40, &blen), -1);
}

static void test_tamper_detected(void **state) {
    fixture_t *f = *state;
    const uint8_t pt[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    uint8_t blob[16 + CSSF_SEAL_OVERHEAD], out[32];
    size_t blen = 0, olen = 0;
    assert_int_equal(cssf_seal(&f->key, f->rng, pt, 16, "dev1", blob, sizeof(blob), &blen), 0);
    for (size_t i = 0; i < blen; i++) {
        blob[i] ^= 0x01;
        assert_int_equal(cssf_unseal(&f->key, blob, blen, "dev1", out, sizeof(out), &olen), -1);
        blob[i] ^= 0x01;
    }
    /* Another context (a blob copied to another device) does not open. */
    assert_int_equal(cssf_unseal(&f->key, blob, blen, "dev2", out, sizeof(out), &olen), -1);
    /* Another key does not open it. */
    cssf_seal_key_t other;
    assert_int_equal(cssf_seal_key_generate(&other, f->rng), 0);
    assert_string_not_equal(other.id, f->key.id);
    assert_int_equal(cssf_unseal(&other, blob, blen, "dev1", out, sizeof(out), &olen), -1);
    /* Truncated blobs are refused. */
    assert_int_equal(
        cssf_unseal(&f->key, blob, CSSF_SEAL_OVERHEAD - 1, "dev1", out, sizeof(out), &olen), -1);
    assert_int_equal(cssf_unseal(&f->key, blob, blen - 1, "dev1", out, sizeof(out), &olen), -1);
    assert_int_equal(cssf_unseal(&f->key, blob, blen, "dev1", out, sizeof(out), &olen), 0);
}

static void test_keyfile_create_and_read(void **state) {
    fixture_t *f = *state;
    char path[128], err[512];
    snprintf(path, sizeof(path), "%s/master.key", f->dir);
    int missing = 0;
    cssf_seal_key_t k;
    assert_int_equal(cssf_seal_keyfile_read(path, &k, &missing, err, sizeof(err)), -1);
    assert_int_equal(missing, 1);
    assert_int_equal(cssf_seal_keyfile_write(path, &f->key, 1, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);
    assert_int_equal(cssf_seal_keyfile_read(path, &k, &missing, err, sizeof(err)), 0);
    assert_memory_equal(k.k, f->key.k, CSSF_SEAL_KEY_LEN);
    assert_string_equal(k.id, f->key.id);
    /* Exclusive creation never replaces an existing key. */
    cssf_seal_key_t other;
    assert_int_equal(cssf_seal_key_generate(&other, f->rng), 0);
    assert_int_equal(cssf_seal_keyfile_write(path, &other, 1, err, sizeof(err)), -1);
    assert_int_equal(cssf_seal_keyfile_read(path, &k, NULL, err, sizeof(err)), 0);
    assert_string_equal(k.id, f->key.id);
}

static void test_keyfile_mode_refused(void **state) {
    fixture_t *f = *state;
    char path[128], err[512];
    snprintf(path, sizeof(path), "%s/master.key", f->dir);
    assert_int_equal(cssf_seal_keyfile_write(path, &f->key, 1, err, sizeof(err)), 0);
    const mode_t wide[] = {0640, 0604, 0660, 0644, 0602};
    cssf_seal_key_t k;
    for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
        assert_int_equal(chmod(path, wide[i]), 0);
        err[0] = '\0';
        assert_int_equal(cssf_seal_keyfile_read(path, &k, NULL, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "chmod 600"));
    }
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(cssf_seal_keyfile_read(path, &k, NULL, err, sizeof(err)), 0);
}

static void test_keyfile_malformed(void **state) {
    fixture_t *f = *state;
    char path[128], err[512];
    snprintf(path, sizeof(path), "%s/bad.key", f->dir);
    /* empty, too short, 64 characters that are not all hex */
    const char *bodies[] = {"", "abcd\n",
                            "zz00112233445566778899aabbccddeeff00112233445566778899aabbccddee\n"};
    cssf_seal_key_t k;
    for (size_t i = 0; i < 3; i++) {
        FILE *fp = fopen(path, "w");
        fputs(bodies[i], fp);
        fclose(fp);
        chmod(path, 0600);
        assert_int_equal(cssf_seal_keyfile_read(path, &k, NULL, err, sizeof(err)), -1);
    }
    /* A directory or a symlink is not a key file. */
    char link_path[160];
    snprintf(link_path, sizeof(link_path), "%s/link.key", f->dir);
    assert_int_equal(symlink(path, link_path), 0);
    assert_int_equal(cssf_seal_keyfile_read(link_path, &k, NULL, err, sizeof(err)), -1);
    assert_int_equal(cssf_seal_keyfile_read(f->dir, &k, NULL, err, sizeof(err)), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyfile_create_and_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyfile_mode_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyfile_malformed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
