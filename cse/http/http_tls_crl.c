/* Revocation lists for HTTPS client certificates (see http_tls_crl.h). */
#include "cse/http/http_tls_crl.h"

#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CRL_FILE_MAX (8u << 20)

struct cse_tls_crl {
    gnutls_x509_crl_t *list;
    unsigned n;
};

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(CRL_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, CRL_FILE_MAX + 1, f) : 0;
    fclose(f);
    if (!buf || n == 0 || n > CRL_FILE_MAX) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

void cse_tls_crl_free(cse_tls_crl_t *c) {
    if (!c)
        return;
    for (unsigned i = 0; i < c->n; i++)
        gnutls_x509_crl_deinit(c->list[i]);
    gnutls_free(c->list);
    free(c);
}

cse_tls_crl_t *cse_tls_crl_load(const char *path, const char *ca_pem, char *err, size_t err_cap) {
    size_t len = 0;
    char *pem = read_file(path, &len);
    cse_tls_crl_t *c = calloc(1, sizeof(*c));
    gnutls_x509_crt_t *cas = NULL;
    unsigned ncas = 0;
    if (!pem || !c) {
        snprintf(err, err_cap, "http: tls_crl %s: cannot read it (missing, empty or over 8 MiB)",
                 path);
        goto fail;
    }
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)len};
    int r = gnutls_x509_crl_list_import2(&c->list, &c->n, &d, GNUTLS_X509_FMT_PEM, 0);
    if (r < 0 || c->n == 0) {
        snprintf(err, err_cap, "http: tls_crl %s: %s", path,
                 r < 0 ? gnutls_strerror(r) : "no CRL in the file");
        goto fail;
    }
    gnutls_datum_t ca = {(unsigned char *)ca_pem, ca_pem ? (unsigned)strlen(ca_pem) : 0};
    if (!ca_pem || gnutls_x509_crt_list_import2(&cas, &ncas, &ca, GNUTLS_X509_FMT_PEM, 0) < 0) {
        snprintf(err, err_cap, "http: tls_crl %s needs tls_ca (the CA that signed it)", path);
        goto fail;
    }
    for (unsigned i = 0; i < c->n; i++) {
        time_t next = gnutls_x509_crl_get_next_update(c->list[i]);
        if (next != (time_t)-1 && next < time(NULL)) {
            snprintf(err, err_cap, "http: tls_crl %s is past its next update", path);
            goto fail;
        }
        unsigned status = 0; /* dates are checked above and at each use */
        if (gnutls_x509_crl_verify(c->list[i], cas, ncas, 0, &status) < 0 ||
            (status & ~(unsigned)(GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED))) {
            snprintf(err, err_cap, "http: tls_crl %s is not signed by tls_ca", path);
            goto fail;
        }
    }
    for (unsigned i = 0; i < ncas; i++)
        gnutls_x509_crt_deinit(cas[i]);
    gnutls_free(cas);
    free(pem);
    return c;
fail:
    for (unsigned i = 0; i < ncas; i++)
        gnutls_x509_crt_deinit(cas[i]);
    gnutls_free(cas);
    free(pem);
    cse_tls_crl_free(c);
    return NULL;
}

int cse_tls_crl_check(const cse_tls_crl_t *c, const gnutls_datum_t *chain, unsigned n, char *why,
                      size_t why_cap) {
    if (!c)
        return 0;
    time_t now = time(NULL);
    for (unsigned i = 0; i < c->n; i++) {
        time_t next = gnutls_x509_crl_get_next_update(c->list[i]);
        if (next != (time_t)-1 && next < now) {
            snprintf(why, why_cap, "the CRL of tls_ca is past its next update");
            return -1;
        }
    }
    for (unsigned k = 0; k < n; k++) {
        gnutls_x509_crt_t crt = NULL;
        int revoked = -1;
        if (gnutls_x509_crt_init(&crt) >= 0 &&
            gnutls_x509_crt_import(crt, &chain[k], GNUTLS_X509_FMT_DER) >= 0)
            revoked = gnutls_x509_crt_check_revocation(crt, c->list, c->n);
        gnutls_x509_crt_deinit(crt);
        if (revoked != 0) {
            snprintf(why, why_cap,
                     revoked > 0 ? "client certificate revoked (CRL)"
                                 : "client certificate cannot be checked (CRL)");
            return -1;
        }
    }
    return 0;
}
