/* RADIUS authenticators, Message-Authenticator, password hiding (mbedTLS MD5). */
#include "plugin/aaa/radius_crypto.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/constant_time.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#define BLK 16

typedef struct chunk {
    const uint8_t *p;
    size_t n;
} chunk_t;

/* MD5 (key == NULL) or HMAC-MD5 over the concatenation of the chunks. */
static int digest(const uint8_t *key, size_t klen, const chunk_t *c, size_t nc, uint8_t out[BLK]) {
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_MD5);
    mbedtls_md_context_t ctx;
    int rc = -1;
    mbedtls_md_init(&ctx);
    if (!md || mbedtls_md_setup(&ctx, md, key != NULL) != 0)
        goto out;
    if ((key ? mbedtls_md_hmac_starts(&ctx, key, klen) : mbedtls_md_starts(&ctx)) != 0)
        goto out;
    for (size_t i = 0; i < nc; i++) {
        if (c[i].n == 0)
            continue;
        if ((key ? mbedtls_md_hmac_update(&ctx, c[i].p, c[i].n)
                 : mbedtls_md_update(&ctx, c[i].p, c[i].n)) != 0)
            goto out;
    }
    if ((key ? mbedtls_md_hmac_finish(&ctx, out) : mbedtls_md_finish(&ctx, out)) != 0)
        goto out;
    rc = 0;
out:
    mbedtls_md_free(&ctx);
    return rc;
}

int cssf_radius_random(uint8_t *buf, size_t n) {
    while (n > 0) {
        ssize_t got = getrandom(buf, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += got;
        n -= (size_t)got;
    }
    return 0;
}

/*
 * The RFC 2865 §5.2 / RFC 2868 §3.5 keystream: block i is
 * MD5(secret + prev), prev being `first` (authenticator, or authenticator +
 * salt) for block 0 and the previous ciphertext block afterwards. With
 * encrypt set, in is plaintext; otherwise ciphertext. n is a multiple of
 * 16; in and out must not overlap.
 */
static int md5_chain(const uint8_t *secret, size_t slen, const uint8_t *first, size_t flen,
                     const uint8_t *in, uint8_t *out, size_t n, int encrypt) {
    uint8_t b[BLK];
    int rc = -1;
    for (size_t off = 0; off < n; off += BLK) {
        chunk_t c[2] = {{secret, slen}, {first, flen}};
        if (off > 0) {
            c[1].p = (encrypt ? out : in) + off - BLK;
            c[1].n = BLK;
        }
        if (digest(NULL, 0, c, 2, b) != 0)
            goto out;
        for (size_t i = 0; i < BLK; i++)
            out[off + i] = in[off + i] ^ b[i];
    }
    rc = 0;
out:
    mbedtls_platform_zeroize(b, sizeof b);
    return rc;
}

int cssf_radius_hide_password(cssf_radius_pkt_t *p, const uint8_t *pw, size_t pwlen,
                              const uint8_t *secret, size_t slen) {
    uint8_t plain[CSSF_RADIUS_PASSWORD_MAX], hidden[CSSF_RADIUS_PASSWORD_MAX];
    int rc = -1;
    if (pwlen > CSSF_RADIUS_PASSWORD_MAX || slen == 0)
        return -1;
    size_t n = pwlen == 0 ? BLK : (pwlen + BLK - 1) / BLK * BLK;
    memset(plain, 0, n);
    if (pwlen)
        memcpy(plain, pw, pwlen);
    if (md5_chain(secret, slen, p->data + 4, CSSF_RADIUS_AUTH_LEN, plain, hidden, n, 1) != 0)
        goto out;
    rc = cssf_radius_pkt_put(p, CSSF_RADIUS_A_USER_PASSWORD, hidden, n);
out:
    mbedtls_platform_zeroize(plain, sizeof plain);
    return rc;
}

int cssf_radius_unhide_password(const uint8_t *hidden, size_t hlen, const uint8_t *req_auth,
                                const uint8_t *secret, size_t slen, uint8_t *out, size_t cap) {
    if (hlen == 0 || hlen % BLK || hlen > CSSF_RADIUS_PASSWORD_MAX || cap < hlen || hidden == out)
        return -1;
    if (md5_chain(secret, slen, req_auth, CSSF_RADIUS_AUTH_LEN, hidden, out, hlen, 0) != 0)
        return -1;
    size_t n = hlen;
    while (n > 0 && out[n - 1] == 0)
        n--;
    return (int)n;
}

int cssf_radius_pkt_sign(cssf_radius_pkt_t *p, const uint8_t *secret, size_t slen) {
    int acct = p->data[0] == CSSF_RADIUS_ACCOUNTING_REQUEST;
    if (slen == 0)
        return -1;
    if (acct)
        memset(p->data + 4, 0, CSSF_RADIUS_AUTH_LEN);
    if (p->ma_off) {
        uint8_t mac[BLK];
        memset(p->data + p->ma_off, 0, BLK);
        chunk_t c[1] = {{p->data, p->len}};
        if (digest(secret, slen, c, 1, mac) != 0)
            return -1;
        memcpy(p->data + p->ma_off, mac, BLK);
    }
    if (acct) {
        uint8_t ra[BLK];
        chunk_t c[2] = {{p->data, p->len}, {secret, slen}};
        if (digest(NULL, 0, c, 2, ra) != 0)
            return -1;
        memcpy(p->data + 4, ra, BLK);
    }
    return 0;
}

static int answers(uint8_t req_code, uint8_t code) {
    switch (req_code) {
    case CSSF_RADIUS_ACCESS_REQUEST:
        return code == CSSF_RADIUS_ACCESS_ACCEPT || code == CSSF_RADIUS_ACCESS_REJECT ||
               code == CSSF_RADIUS_ACCESS_CHALLENGE;
    case CSSF_RADIUS_ACCOUNTING_REQUEST:
        return code == CSSF_RADIUS_ACCOUNTING_RESPONSE;
    case CSSF_RADIUS_STATUS_SERVER: /* RFC 5997 §3: auth port vs accounting port */
        return code == CSSF_RADIUS_ACCESS_ACCEPT || code == CSSF_RADIUS_ACCOUNTING_RESPONSE;
    default:
        return 0;
    }
}

int cssf_radius_verify_response(const uint8_t *resp, size_t rlen, const uint8_t *req,
                                const uint8_t *secret, size_t slen, int require_ma,
                                cssf_radius_view_t *v, const char **reason) {
    static const uint8_t zero[BLK];
    const uint8_t *req_auth = req + 4;
    uint8_t calc[BLK];

    if (cssf_radius_parse(resp, rlen, v, reason) != 0)
        return -1;
    if (v->id != req[1]) {
        *reason = "identifier does not match the request";
        return -1;
    }
    if (!answers(req[0], v->code)) {
        *reason = "packet code does not answer the request";
        return -1;
    }
    chunk_t ra[4] = {{resp, 4}, {req_auth, BLK}, {v->attrs, v->attrs_len}, {secret, slen}};
    if (digest(NULL, 0, ra, 4, calc) != 0) {
        *reason = "digest failure";
        return -1;
    }
    if (mbedtls_ct_memcmp(calc, v->auth, BLK) != 0) {
        *reason = "Response Authenticator mismatch";
        return -1;
    }
    size_t nma = cssf_radius_attr_count(v, CSSF_RADIUS_A_MESSAGE_AUTHENTICATOR);
    if (nma > 1) {
        *reason = "more than one Message-Authenticator";
        return -1;
    }
    if (nma == 0) {
        if (require_ma) {
            *reason = "Message-Authenticator missing";
            return -1;
        }
        return 0;
    }
    size_t malen;
    const uint8_t *ma = cssf_radius_attr_find(v, CSSF_RADIUS_A_MESSAGE_AUTHENTICATOR, &malen);
    if (malen != BLK) {
        *reason = "Message-Authenticator has a wrong length";
        return -1;
    }
    const uint8_t *key_auth = req[0] == CSSF_RADIUS_ACCOUNTING_REQUEST ? zero : req_auth;
    size_t before = (size_t)(ma - v->attrs);
    chunk_t mc[5] = {{resp, 4},
                     {key_auth, BLK},
                     {v->attrs, before},
                     {zero, BLK},
                     {ma + BLK, v->attrs_len - before - BLK}};
    if (digest(secret, slen, mc, 5, calc) != 0) {
        *reason = "digest failure";
        return -1;
    }
    if (mbedtls_ct_memcmp(calc, ma, BLK) != 0) {
        *reason = "Message-Authenticator mismatch";
        return -1;
    }
    return 0;
}

int cssf_radius_tunnel_password_decrypt(const uint8_t *val, size_t vlen, const uint8_t *req_auth,
                                        const uint8_t *secret, size_t slen, uint8_t *out,
                                        size_t cap, size_t *outlen, uint8_t *tag,
                                        const char **reason) {
    uint8_t first[CSSF_RADIUS_AUTH_LEN + 2], plain[CSSF_RADIUS_ATTR_MAX];
    int rc = -1;
    if (vlen < 3 + BLK || (vlen - 3) % BLK != 0) {
        *reason = "Tunnel-Password has a wrong length";
        return -1;
    }
    if (!(val[1] & 0x80)) {
        *reason = "Tunnel-Password salt lacks its high bit";
        return -1;
    }
    size_t n = vlen - 3;
    memcpy(first, req_auth, CSSF_RADIUS_AUTH_LEN);
    memcpy(first + CSSF_RADIUS_AUTH_LEN, val + 1, 2);
    if (md5_chain(secret, slen, first, sizeof first, val + 3, plain, n, 0) != 0) {
        *reason = "digest failure";
        goto out;
    }
    size_t len = plain[0];
    if (len > n - 1) {
        *reason = "Tunnel-Password length byte exceeds the data";
        goto out;
    }
    if (len > cap) {
        *reason = "Tunnel-Password longer than the output buffer";
        goto out;
    }
    memcpy(out, plain + 1, len);
    *outlen = len;
    *tag = val[0];
    rc = 0;
out:
    mbedtls_platform_zeroize(plain, sizeof plain);
    return rc;
}

int cssf_radius_tunnel_password_encrypt(const uint8_t *pw, size_t len, uint8_t tag,
                                        const uint8_t salt[2], const uint8_t *req_auth,
                                        const uint8_t *secret, size_t slen, uint8_t *out,
                                        size_t cap) {
    uint8_t first[CSSF_RADIUS_AUTH_LEN + 2], plain[CSSF_RADIUS_ATTR_MAX];
    size_t n = (len + 1 + BLK - 1) / BLK * BLK;
    int rc = -1;
    if (3 + n > CSSF_RADIUS_ATTR_MAX || 3 + n > cap)
        return -1;
    memset(plain, 0, n);
    plain[0] = (uint8_t)len;
    memcpy(plain + 1, pw, len);
    memcpy(first, req_auth, CSSF_RADIUS_AUTH_LEN);
    memcpy(first + CSSF_RADIUS_AUTH_LEN, salt, 2);
    out[0] = tag;
    out[1] = salt[0];
    out[2] = salt[1];
    if (md5_chain(secret, slen, first, sizeof first, plain, out + 3, n, 1) == 0)
        rc = (int)(3 + n);
    mbedtls_platform_zeroize(plain, sizeof plain);
    return rc;
}
