/*
 * m2m-coap-client: sends one oneM2M request over coap:// or coaps:// (DTLS
 * with a PSK or a client certificate) and prints the response code, the
 * oneM2M response status code and the payload. Large bodies go out in
 * Block1 blocks, large responses are fetched with Block2. With --authz-info
 * it first posts an access token to /authz-info in the same DTLS session
 * (RFC 9200 §5.10.1), so the request runs with the rights of that token.
 * Exit status: 0 for a 2.xx response, 1 for any other response, 2 for usage,
 * handshake or transport errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "cse/coap/coap_block.h"
#include "cse/coap/coap_client.h"
#include "cse/coap/coap_onem2m.h"

#define MAX_BODY (16u << 20)
#define MAX_EXTRA 16

static void usage(FILE *f) {
    fprintf(f, "usage: m2m-coap-client [options] coap[s]://HOST[:PORT]/PATH[?QUERY]\n"
               "  -X METHOD     GET, POST, PUT or DELETE (default GET, POST with -t)\n"
               "  -f FROM       originator (oneM2M-FR)\n"
               "  -t TY         resource type of a CREATE (oneM2M-TY)\n"
               "  -q QUERY      query parameters k=v&k2=v2, added to the URI's\n"
               "  -d BODY       request body; @FILE reads it from FILE\n"
               "  --rqi RQI     request identifier (default: random)\n"
               "  --rvi RVI     release version indicator (default 3)\n"
               "  --cf N        Content-Format of the body (default 50, application/json)\n"
               "  --accept N    Accept option\n"
               "  -O NUM,VALUE  extra option: text, or 0x-prefixed hex\n"
               "  -u ID -k KEY  DTLS PSK identity and key (text, or 0x-prefixed hex)\n"
               "  --cert FILE --key FILE   DTLS client certificate and key (PEM)\n"
               "  --ca FILE     verify the server certificate against this CA\n"
               "  --timeout MS  first retransmission timeout (default 2000)\n"
               "  --block SIZE  block size for Block1/Block2, 16..1024 (default 1024)\n"
               "  --repeat N    send the request N times over the one session (default 1)\n"
               "  --interval MS pause between repeated requests (default 0)\n"
               "  --authz-info TOKEN  first POST the access token (@FILE reads it) to\n"
               "                /authz-info in the same session\n"
               "  -v            also print the response options\n"
               "Prints 'code=C rsc=N rqi=R [location=L]' and the payload.\n"
               "Exit: 0 for 2.xx, 1 for other responses, 2 for usage or transport errors.\n");
}

typedef struct args {
    const char *method, *from, *query, *body_arg, *rqi, *rvi, *token_arg;
    int ty, cf, accept, verbose;
    int repeat;      /* requests sent over the one session (default 1) */
    int interval_ms; /* pause between them */
    cse_coap_client_cfg_t cfg;
    uint8_t psk[64];
    struct {
        uint16_t num;
        uint8_t val[256];
        size_t len;
    } extra[MAX_EXTRA];
    int nextra;
} args_t;

static int hexval(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Text, or 0x-prefixed hex, into out; returns the length or -1. */
static long parse_bytes(const char *s, uint8_t *out, size_t cap) {
    if (strncmp(s, "0x", 2) != 0) {
        size_t n = strlen(s);
        if (n > cap)
            return -1;
        memcpy(out, s, n);
        return (long)n;
    }
    s += 2;
    size_t n = strlen(s);
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(n / 2);
}

/* Percent-decodes s in place. */
static void pct_decode(char *s) {
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
            *w++ = (char)(hexval(r[1]) << 4 | hexval(r[2]));
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
}

/* Adds k=v&k2=v2 as Uri-Query options (strings kept in the query copy). */
static int add_query(cse_coap_msg_t *m, char *q) {
    for (char *save = NULL, *p = strtok_r(q, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
        pct_decode(p);
        if (cse_coap_msg_add_str(m, CSE_COAP_OPT_URI_QUERY, p))
            return -1;
    }
    return 0;
}

/* Splits uri into the client config and Uri-Path/Uri-Query options. uri is
 * modified and must outlive m. */
static int parse_uri(char *uri, args_t *a, cse_coap_msg_t *m) {
    char *p;
    if (!strncmp(uri, "coaps://", 8)) {
        a->cfg.dtls = 1;
        a->cfg.port = 5684;
        p = uri + 8;
    } else if (!strncmp(uri, "coap://", 7)) {
        a->cfg.port = 5683;
        p = uri + 7;
    } else {
        return -1;
    }
    char *host = p;
    if (*p == '[') {
        host = ++p;
        if (!(p = strchr(p, ']')))
            return -1;
        *p++ = 0;
    } else {
        p += strcspn(p, ":/?");
    }
    char sep = *p;
    *p = 0;
    a->cfg.host = host;
    if (sep == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (port <= 0 || port > 65535)
            return -1;
        a->cfg.port = (int)port;
        p = end;
        sep = *p;
        *p = 0;
    }
    char *query = NULL;
    if (sep == '?') {
        query = p + 1;
    } else if (sep == '/') {
        char *path = p + 1;
        char *q = strchr(path, '?');
        if (q) {
            *q = 0;
            query = q + 1;
        }
        for (char *save = NULL, *seg = strtok_r(path, "/", &save); seg;
             seg = strtok_r(NULL, "/", &save)) {
            pct_decode(seg);
            if (cse_coap_msg_add_str(m, CSE_COAP_OPT_URI_PATH, seg))
                return -1;
        }
    }
    return query ? add_query(m, query) : 0;
}

static uint8_t *read_body(const char *arg, size_t *len) {
    if (arg[0] != '@') {
        *len = strlen(arg);
        return (uint8_t *)strdup(arg);
    }
    FILE *f = fopen(arg + 1, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(MAX_BODY);
    *len = buf ? fread(buf, 1, MAX_BODY, f) : 0;
    fclose(f);
    return buf;
}

static int parse_args(int argc, char **argv, args_t *a) {
    enum { RQI = 256, RVI, CF, ACCEPT, CERT, KEY, CA, TIMEOUT, BLOCK, REPEAT, INTERVAL, AUTHZ };
    static const struct option longopts[] = {
        {"rqi", required_argument, 0, RQI},
        {"rvi", required_argument, 0, RVI},
        {"cf", required_argument, 0, CF},
        {"accept", required_argument, 0, ACCEPT},
        {"cert", required_argument, 0, CERT},
        {"key", required_argument, 0, KEY},
        {"ca", required_argument, 0, CA},
        {"timeout", required_argument, 0, TIMEOUT},
        {"block", required_argument, 0, BLOCK},
        {"repeat", required_argument, 0, REPEAT},
        {"interval", required_argument, 0, INTERVAL},
        {"authz-info", required_argument, 0, AUTHZ},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    long n;
    while ((c = getopt_long(argc, argv, "X:f:t:q:d:O:u:k:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'X':
            a->method = optarg;
            break;
        case 'f':
            a->from = optarg;
            break;
        case 't':
            a->ty = atoi(optarg);
            break;
        case 'q':
            a->query = optarg;
            break;
        case 'd':
            a->body_arg = optarg;
            break;
        case 'v':
            a->verbose = 1;
            break;
        case RQI:
            a->rqi = optarg;
            break;
        case RVI:
            a->rvi = optarg;
            break;
        case CF:
            a->cf = atoi(optarg);
            break;
        case ACCEPT:
            a->accept = atoi(optarg);
            break;
        case CERT:
            a->cfg.cert_file = optarg;
            break;
        case KEY:
            a->cfg.key_file = optarg;
            break;
        case CA:
            a->cfg.ca_file = optarg;
            break;
        case TIMEOUT:
            a->cfg.timeout_ms = atoi(optarg);
            break;
        case 'u':
            a->cfg.psk_identity = optarg;
            break;
        case 'k':
            if ((n = parse_bytes(optarg, a->psk, sizeof(a->psk))) <= 0)
                return -1;
            a->cfg.psk = a->psk;
            a->cfg.psk_len = (size_t)n;
            break;
        case BLOCK:
            a->cfg.block_szx = cse_coap_block_szx_fit((size_t)atoi(optarg));
            if (a->cfg.block_szx < 0)
                return -1;
            break;
        case REPEAT:
            n = strtol(optarg, NULL, 10);
            if (n < 1 || n > 1000000)
                return -1;
            a->repeat = (int)n;
            break;
        case AUTHZ:
            a->token_arg = optarg;
            break;
        case INTERVAL:
            n = strtol(optarg, NULL, 10);
            if (n < 0 || n > 3600000)
                return -1;
            a->interval_ms = (int)n;
            break;
        case 'O': {
            char *comma = strchr(optarg, ',');
            if (!comma || a->nextra >= MAX_EXTRA)
                return -1;
            a->extra[a->nextra].num = (uint16_t)atoi(optarg);
            n = parse_bytes(comma + 1, a->extra[a->nextra].val, sizeof(a->extra[0].val));
            if (n < 0)
                return -1;
            a->extra[a->nextra++].len = (size_t)n;
            break;
        }
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    return optind == argc - 1 ? optind : -1;
}

static int method_code(const char *m) {
    static const char *names[] = {"GET", "POST", "PUT", "DELETE"};
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(m, names[i]))
            return i + 1;
    return -1;
}

static int build_request(args_t *a, cse_coap_msg_t *m, char *rqi_buf, size_t rqi_cap,
                         char *query_copy) {
    m->code = (uint8_t)method_code(a->method ? a->method : a->ty ? "POST" : "GET");
    if (m->code == (uint8_t)-1)
        return -1;
    if (!a->rqi) {
        uint32_t r = 0;
        if (getrandom(&r, sizeof(r), 0) != sizeof(r))
            r = (uint32_t)getpid();
        snprintf(rqi_buf, rqi_cap, "rq-%08x", r);
        a->rqi = rqi_buf;
    }
    int rc = cse_coap_msg_add_str(m, CSE_COAP_OPT_M2M_RQI, a->rqi) ||
             cse_coap_msg_add_str(m, CSE_COAP_OPT_M2M_RVI, a->rvi ? a->rvi : "3");
    if (a->from)
        rc |= cse_coap_msg_add_str(m, CSE_COAP_OPT_M2M_FR, a->from);
    if (a->ty)
        rc |= cse_coap_msg_add_uint(m, CSE_COAP_OPT_M2M_TY, (uint32_t)a->ty);
    if (a->body_arg)
        rc |= cse_coap_msg_add_uint(m, CSE_COAP_OPT_CONTENT_FORMAT,
                                    (uint32_t)(a->cf >= 0 ? a->cf : CSE_COAP_CF_JSON));
    if (a->accept)
        rc |= cse_coap_msg_add_uint(m, CSE_COAP_OPT_ACCEPT, (uint32_t)a->accept);
    for (int i = 0; i < a->nextra; i++)
        rc |= cse_coap_msg_add(m, a->extra[i].num, a->extra[i].val, a->extra[i].len);
    if (query_copy)
        rc |= add_query(m, query_copy);
    return rc ? -1 : 0;
}

/* Prints one response; returns the exit status it stands for. */
static int print_result(const args_t *a, const cse_coap_client_result_t *res) {
    char code[8];
    printf("code=%s", cse_coap_code_str(res->code, code, sizeof(code)));
    if (res->has_rsc)
        printf(" rsc=%u", res->rsc);
    printf(" rqi=%s", res->rqi);
    if (res->location[0])
        printf(" location=%s", res->location);
    if (a->verbose)
        printf(" cf=%d blocks=%d bytes=%zu", res->cf, res->blocks, res->payload_len);
    printf("\n");
    if (res->payload_len) {
        fwrite(res->payload, 1, res->payload_len, stdout);
        printf("\n");
    }
    return CSE_COAP_CLASS(res->code) == 2 ? 0 : 1;
}

/* POSTs the access token to /authz-info over the client's session. Returns
 * -1 when the CSE bound it, else the exit status (its reply printed). */
static int post_token(const args_t *a, cse_coap_client_t *c) {
    char err[256];
    size_t len = 0;
    uint8_t *token = read_body(a->token_arg, &len);
    if (!token) {
        fprintf(stderr, "m2m-coap-client: cannot read the token\n");
        return 2;
    }
    cse_coap_msg_t m;
    cse_coap_client_result_t res;
    cse_coap_msg_init(&m);
    m.code = CSE_COAP_POST;
    int status = 2;
    if (cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "authz-info") ||
        cse_coap_msg_add_uint(&m, CSE_COAP_OPT_CONTENT_FORMAT, 0) ||
        cse_coap_client_request(c, &m, token, len, &res, err, sizeof(err)) < 0) {
        fprintf(stderr, "m2m-coap-client: authz-info: %s\n", err);
        goto out;
    }
    if (CSE_COAP_CLASS(res.code) == 2) {
        char code[8];
        fprintf(stderr, "authz-info: code=%s\n", cse_coap_code_str(res.code, code, sizeof(code)));
        status = -1;
    } else {
        status = print_result(a, &res);
    }
    cse_coap_client_result_free(&res);
out:
    free(token);
    return status;
}

int main(int argc, char **argv) {
    args_t a;
    cse_coap_msg_t m;
    char err[256], rqi[32];
    memset(&a, 0, sizeof(a));
    a.cf = -1;
    cse_coap_client_cfg_default(&a.cfg);
    cse_coap_msg_init(&m);
    int idx = parse_args(argc, argv, &a);
    char *uri = idx > 0 ? strdup(argv[idx]) : NULL;
    char *query = a.query ? strdup(a.query) : NULL;
    if (idx < 0 || !uri || parse_uri(uri, &a, &m) < 0 ||
        build_request(&a, &m, rqi, sizeof(rqi), query) < 0) {
        usage(stderr);
        return 2;
    }
    size_t body_len = 0;
    uint8_t *body = a.body_arg ? read_body(a.body_arg, &body_len) : NULL;
    if (a.body_arg && !body) {
        fprintf(stderr, "m2m-coap-client: cannot read %s\n", a.body_arg + 1);
        return 2;
    }
    int status = 2;
    cse_coap_client_result_t res;
    cse_coap_client_t *c = cse_coap_client_open(&a.cfg, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "m2m-coap-client: %s\n", err);
        goto out;
    }
    if (a.token_arg && (status = post_token(&a, c)) >= 0)
        goto out;
    for (int i = 0; i < (a.repeat > 0 ? a.repeat : 1); i++) {
        if (i > 0 && a.interval_ms) {
            struct timespec pause = {a.interval_ms / 1000, (a.interval_ms % 1000) * 1000000L};
            nanosleep(&pause, NULL);
        }
        if (cse_coap_client_request(c, &m, body, body_len, &res, err, sizeof(err)) < 0) {
            fprintf(stderr, "m2m-coap-client: %s\n", err);
            status = 2;
            goto out;
        }
        status = print_result(&a, &res);
        cse_coap_client_result_free(&res);
        fflush(stdout);
    }
out:
    cse_coap_client_close(c);
    free(body);
    free(uri);
    free(query);
    return status;
}
