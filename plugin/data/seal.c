/* AES-256-GCM sealing and the master key file (see seal.h). */
#include "plugin/data/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <mbedtls/gcm.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOB_VERSION 0x01

int cssf_seal_key_set(cssf_seal_key_t *key, const uint8_t raw[CSSF_SEAL_KEY_LEN]) {
    uint8_t digest[32];
    memcpy(key->k, raw, CSSF_SEAL_KEY_LEN);
    if (mbedtls_sha256_ret(key->k, CSSF_SEAL_KEY_LEN, digest, 0) != 0)
        return -1;
    for (int i = 0; i < CSSF_SEAL_KEY_ID_LEN / 2; i++)
        snprintf(key->id + 2 * i, 3, "%02x", digest[i]);
    return 0;
}

int cssf_seal_key_generate(cssf_seal_key_t *key, cssf_rng_t *rng) {
    uint8_t raw[CSSF_SEAL_KEY_LEN];
    int rc = cssf_rng_bytes(rng, raw, sizeof(raw)) == 0 ? cssf_seal_key_set(key, raw) : -1;
    mbedtls_platform_zeroize(raw, sizeof(raw));
    return rc;
}

void cssf_seal_key_wipe(cssf_seal_key_t *key) {
    mbedtls_platform_zeroize(key, sizeof(*key));
}

int cssf_seal(const cssf_seal_key_t *key, cssf_rng_t *rng, const uint8_t *pt, size_t len,
              const char *context, uint8_t *out, size_t cap, size_t *out_len) {
    if (!key || !rng || (!pt && len) || !out || cap < len + CSSF_SEAL_OVERHEAD)
        return -1;
    const char *aad = context ? context : "";
    uint8_t *nonce = out + 1, *ct = nonce + CSSF_SEAL_NONCE_LEN, *tag = ct + len;
    out[0] = BLOB_VERSION;
    if (cssf_rng_bytes(rng, nonce, CSSF_SEAL_NONCE_LEN) != 0)
        return -1;
    mbedtls_gcm_context gcm;
    mbedtls_gcm_init(&gcm);
    int rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key->k, 8 * CSSF_SEAL_KEY_LEN);
    if (rc == 0)
        rc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, nonce, CSSF_SEAL_NONCE_LEN,
                                       (const unsigned char *)aad, strlen(aad), pt, ct,
                                       CSSF_SEAL_TAG_LEN, tag);
    mbedtls_gcm_free(&gcm);
    if (rc != 0) {
        mbedtls_platform_zeroize(out, cap);
        return -1;
    }
    *out_len = len + CSSF_SEAL_OVERHEAD;
    return 0;
}

int cssf_unseal(const cssf_seal_key_t *key, const uint8_t *blob, size_t len, const char *context,
                uint8_t *pt, size_t cap, size_t *pt_len) {
    if (!key || !blob || len < CSSF_SEAL_OVERHEAD || blob[0] != BLOB_VERSION || !pt ||
        cap < len - CSSF_SEAL_OVERHEAD)
        return -1;
    const char *aad = context ? context : "";
    size_t n = len - CSSF_SEAL_OVERHEAD;
    const uint8_t *nonce = blob + 1, *ct = nonce + CSSF_SEAL_NONCE_LEN, *tag = ct + n;
    mbedtls_gcm_context gcm;
    mbedtls_gcm_init(&gcm);
    int rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key->k, 8 * CSSF_SEAL_KEY_LEN);
    if (rc == 0)
        rc = mbedtls_gcm_auth_decrypt(&gcm, n, nonce, CSSF_SEAL_NONCE_LEN,
                                      (const unsigned char *)aad, strlen(aad), tag,
                                      CSSF_SEAL_TAG_LEN, ct, pt);
    mbedtls_gcm_free(&gcm);
    if (rc != 0) {
        mbedtls_platform_zeroize(pt, cap);
        return -1;
    }
    *pt_len = n;
    return 0;
}

static int hexval(int c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

int cssf_seal_keyfile_read(const char *path, cssf_seal_key_t *key, int *missing, char *err,
                           size_t err_cap) {
    char text[2 * CSSF_SEAL_KEY_LEN + 8];
    uint8_t raw[CSSF_SEAL_KEY_LEN];
    int rc = -1;
    if (missing)
        *missing = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT && missing)
            *missing = 1;
        snprintf(err, err_cap, "master key file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, err_cap, "master key file %s: not a regular file", path);
        goto out;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, err_cap,
                 "master key file %s has mode %04o: group and others must have no access "
                 "(chmod 600 %s)",
                 path, (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    ssize_t n = read(fd, text, sizeof(text) - 1);
    if (n < 0) {
        snprintf(err, err_cap, "master key file %s: %s", path, strerror(errno));
        goto out;
    }
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    if (n != 2 * CSSF_SEAL_KEY_LEN) {
        snprintf(err, err_cap, "master key file %s: expected %d hex digits", path,
                 2 * CSSF_SEAL_KEY_LEN);
        goto out;
    }
    for (int i = 0; i < CSSF_SEAL_KEY_LEN; i++) {
        int hi = hexval(text[2 * i]), lo = hexval(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            snprintf(err, err_cap, "master key file %s: not hex", path);
            goto out;
        }
        raw[i] = (uint8_t)(hi << 4 | lo);
    }
    rc = cssf_seal_key_set(key, raw);
    if (rc < 0)
        snprintf(err, err_cap, "master key file %s: cannot hash the key", path);
out:
    mbedtls_platform_zeroize(raw, sizeof(raw));
    mbedtls_platform_zeroize(text, sizeof(text));
    close(fd);
    return rc;
}

static void sync_dir(const char *path) {
    char copy[PATH_MAX];
    snprintf(copy, sizeof(copy), "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int cssf_seal_keyfile_write(const char *path, const cssf_seal_key_t *key, int exclusive, char *err,
                            size_t err_cap) {
    char tmp[PATH_MAX], text[2 * CSSF_SEAL_KEY_LEN + 2];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        snprintf(err, err_cap, "master key file %s: path too long", path);
        return -1;
    }
    for (int i = 0; i < CSSF_SEAL_KEY_LEN; i++)
        snprintf(text + 2 * i, 3, "%02x", key->k[i]);
    text[2 * CSSF_SEAL_KEY_LEN] = '\n';
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    int rc = -1;
    if (fd < 0) {
        snprintf(err, err_cap, "cannot create master key file %s: %s", tmp, strerror(errno));
        goto out;
    }
    /* The umask cannot widen 0600, but an inherited ACL might: be explicit. */
    if (fchmod(fd, 0600) < 0 || write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1) ||
        fsync(fd) < 0) {
        snprintf(err, err_cap, "cannot write master key file %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (exclusive ? link(tmp, path) : rename(tmp, path)) {
        snprintf(err, err_cap, "cannot install master key file %s: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (exclusive)
        unlink(tmp);
    sync_dir(path);
    rc = 0;
out:
    mbedtls_platform_zeroize(text, sizeof(text));
    return rc;
}
