/*
 * cssfctl: the operator's client of the CSSF admin API (/cssf/v1): enrol,
 * list, show, suspend, resume and remove devices, check, read and apply
 * policies, read the audit trail, check health, rotate the master key,
 * seal RADIUS shared secrets (read from stdin or a file, never argv).
 * Readable tables by default, the API's JSON with --json.
 * Exit status: 0 ok, 1 the API refused (its message is printed), 2 usage,
 * 3 the CSE could not be reached.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define EXIT_API 1
#define EXIT_USAGE 2
#define EXIT_CONNECT 3
#define MAX_LABELS 32
#define MAX_AEIDS 32
#define RADIUS_SECRET_MAX 128

typedef struct cfg {
    const char *url, *origin, *token, *cert, *key, *cacert;
    int json, verbose;
    long timeout_s;
} cfg_t;

static void usage(FILE *f) {
    fprintf(f, "usage: cssfctl [options] COMMAND ...\n"
               "commands:\n"
               "  device add ID --aeid AEID... [--psk-identity ID [--psk-key HEX]]\n"
               "             [--cert-san URI] [--cert-sha256 HEX] [--client-id ID] [--aaa]\n"
               "             [--group G] [--label L]... [--lat N --lon N] [--country CC]\n"
               "             [--suspended]           enrol a device (a PSK without --psk-key is\n"
               "                                     generated and shown once)\n"
               "  device add --file DOC.json         enrol from a device document\n"
               "  device list [--state S] [--group G] [--label L] [--aeid A] [--limit N]\n"
               "              [--offset N]\n"
               "  device show ID | suspend ID | resume ID | rm ID\n"
               "  policy check DIR | apply DIR       validate / apply cssf.json and acps/*.json\n"
               "  policy get [DIR]                   print the policy, or write it into DIR\n"
               "  audit tail [--device D] [--from F] [--decision D] [--event E] [-n N]\n"
               "  health\n"
               "  key rotate                         re-seal every secret under a new master key\n"
               "  radius list                        RADIUS servers and their sealed secrets\n"
               "  radius set-secret NAME [--secret-file F]\n"
               "                                     seal the shared secret of NAME (host:port,\n"
               "                                     [v6]:port, or psk-password), read from stdin\n"
               "                                     (one line) or the first line of F\n"
               "  radius delete-secret NAME          remove a sealed secret\n"
               "options (environment in brackets):\n"
               "  --url URL        admin endpoint base, default http://127.0.0.1:8080 [CSSF_URL]\n"
               "  --origin ID      X-M2M-Origin, default CAdmin [CSSF_ORIGIN]\n"
               "  --token T        bearer token [CSSF_TOKEN]\n"
               "  --cert F --key F client certificate and key (PEM) [CSSF_CERT, CSSF_KEY]\n"
               "  --cacert F       CA to verify the CSE's certificate [CSSF_CACERT]\n"
               "  --timeout S      seconds per request, default 10\n"
               "  --json           print the API's JSON instead of tables\n"
               "exit: 0 ok, 1 API error, 2 usage, 3 connection failure\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("cssfctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (cssfctl --help)\n", stderr);
    va_end(ap);
    return EXIT_USAGE;
}

/* --- HTTP ----------------------------------------------------------------- */

typedef struct buf {
    char *p;
    size_t n;
} buf_t;

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg) {
    buf_t *b = arg;
    size_t add = size * nmemb;
    if (b->n + add > (64u << 20))
        return 0;
    char *grown = realloc(b->p, b->n + add + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->n, data, add);
    b->p = grown;
    b->n += add;
    b->p[b->n] = '\0';
    return add;
}

/* One request. Returns 0 with *status and *reply (parsed JSON or NULL),
 * or EXIT_CONNECT after printing why. */
static int call(const cfg_t *c, const char *method, const char *path, const json_t *body,
                long *status, json_t **reply) {
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    char *url = malloc(strlen(c->url) + strlen(path) + 16), line[4200];
    buf_t resp = {0};
    int rc = EXIT_CONNECT;
    *reply = NULL;
    if (!h || !url) {
        fprintf(stderr, "cssfctl: out of memory\n");
        goto out;
    }
    size_t ulen = strlen(c->url);
    while (ulen && c->url[ulen - 1] == '/')
        ulen--;
    sprintf(url, "%.*s/cssf/v1%s", (int)ulen, c->url, path);
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    if (c->origin && *c->origin) {
        snprintf(line, sizeof(line), "X-M2M-Origin: %s", c->origin);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (c->token && *c->token) {
        snprintf(line, sizeof(line), "Authorization: Bearer %s", c->token);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (text)
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (text) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
    }
    if (c->cert)
        curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert);
    if (c->key)
        curl_easy_setopt(h, CURLOPT_SSLKEY, c->key);
    if (c->cacert)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
    CURLcode res = curl_easy_perform(h);
    if (res != CURLE_OK) {
        fprintf(stderr, "cssfctl: cannot reach %s: %s\n", url, curl_easy_strerror(res));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    if (resp.n)
        *reply = json_loadb(resp.p, resp.n, 0, NULL);
    if (c->verbose)
        fprintf(stderr, "%s %s -> %ld\n", method, url, *status);
    rc = 0;
out:
    curl_slist_free_all(hdrs);
    if (h)
        curl_easy_cleanup(h);
    free(text);
    free(url);
    free(resp.p);
    return rc;
}

static void print_json(const json_t *j) {
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (text)
        puts(text);
    free(text);
}

/* Prints an API refusal and returns EXIT_API. */
static int api_error(const cfg_t *c, long status, const json_t *reply) {
    const char *msg = json_string_value(json_object_get(reply, "error"));
    const char *field = json_string_value(json_object_get(reply, "field"));
    fprintf(stderr, "cssfctl: HTTP %ld: %s", status, msg ? msg : "request refused");
    if (field && *field)
        fprintf(stderr, " (field %s)", field);
    fputc('\n', stderr);
    json_t *problems = json_object_get(reply, "problems");
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p) fprintf(stderr, "  %s\n", json_string_value(p));
    if (c->json && reply)
        print_json(reply);
    return EXIT_API;
}

/* Runs a request; on success hands the reply to show (unless --json). */
static int run(const cfg_t *c, const char *method, const char *path, const json_t *body,
               void (*show)(const json_t *reply)) {
    long status = 0;
    json_t *reply = NULL;
    int rc = call(c, method, path, body, &status, &reply);
    if (rc)
        return rc;
    if (status == 503 && json_object_get(reply, "status") && show) {
        /* health: degraded is an answer worth showing */
        c->json ? print_json(reply) : show(reply);
        rc = EXIT_API;
    } else if (status >= 400)
        rc = api_error(c, status, reply);
    else if (c->json)
        reply ? print_json(reply) : (void)0;
    else if (show)
        show(reply);
    json_decref(reply);
    return rc;
}

/* --- output ----------------------------------------------------------------- */

static const char *str(const json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static void join_array(const json_t *arr, char *out, size_t cap) {
    size_t i;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(arr, i, v) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s", i ? "," : "", json_string_value(v));
    }
    if (!out[0])
        snprintf(out, cap, "-");
}

static void credentials_text(const json_t *d, char *out, size_t cap) {
    const json_t *cr = json_object_get(d, "credentials");
    out[0] = '\0';
    if (json_object_get(cr, "psk"))
        snprintf(out + strlen(out), cap - strlen(out), "psk ");
    if (json_object_get(cr, "certificate"))
        snprintf(out + strlen(out), cap - strlen(out), "cert ");
    if (json_object_get(cr, "oauth"))
        snprintf(out + strlen(out), cap - strlen(out), "oauth ");
    if (json_is_true(json_object_get(cr, "aaa")))
        snprintf(out + strlen(out), cap - strlen(out), "aaa ");
    size_t n = strlen(out);
    if (n)
        out[n - 1] = '\0';
}

static void show_list(const json_t *r) {
    const json_t *devs = json_object_get(r, "devices");
    size_t i;
    json_t *d;
    char aeids[512], cred[64];
    printf("%-24s %-10s %-12s %-22s %s\n", "ID", "STATE", "GROUP", "CREDENTIALS", "AE-IDS");
    json_array_foreach(devs, i, d) {
        join_array(json_object_get(d, "aeids"), aeids, sizeof(aeids));
        credentials_text(d, cred, sizeof(cred));
        printf("%-24s %-10s %-12s %-22s %s\n", str(d, "id"), str(d, "state"), str(d, "group"), cred,
               aeids);
    }
    printf("%lld device(s)", json_integer_value(json_object_get(r, "total")));
    long long off = json_integer_value(json_object_get(r, "offset"));
    if (off || json_array_size(devs) < (size_t)json_integer_value(json_object_get(r, "total")))
        printf(", showing %zu from offset %lld", json_array_size(devs), off);
    putchar('\n');
}

static void show_device(const json_t *d) {
    char text[1024];
    const json_t *cr = json_object_get(d, "credentials");
    printf("id:          %s\n", str(d, "id"));
    printf("state:       %s\n", str(d, "state"));
    join_array(json_object_get(d, "aeids"), text, sizeof(text));
    printf("ae-ids:      %s\n", text);
    const json_t *psk = json_object_get(cr, "psk");
    if (psk)
        printf("psk:         identity %s\n", str(psk, "identity"));
    const json_t *cert = json_object_get(cr, "certificate");
    if (cert)
        printf("certificate: san %s, sha256 %s\n", str(cert, "san"), str(cert, "sha256"));
    if (json_object_get(cr, "oauth"))
        printf("oauth:       client %s\n", str(json_object_get(cr, "oauth"), "client_id"));
    if (json_is_true(json_object_get(cr, "aaa")))
        printf("aaa:         yes (credentials checked by RADIUS)\n");
    printf("group:       %s\n", str(d, "group"));
    const json_t *loc = json_object_get(d, "location");
    if (loc) {
        printf("location:   ");
        if (json_object_get(loc, "lat"))
            printf(" %g,%g", json_number_value(json_object_get(loc, "lat")),
                   json_number_value(json_object_get(loc, "lon")));
        if (json_object_get(loc, "country"))
            printf(" %s", str(loc, "country"));
        putchar('\n');
    }
    join_array(json_object_get(d, "labels"), text, sizeof(text));
    printf("labels:      %s\n", text);
    printf("created:     %s\n", str(d, "created"));
    printf("updated:     %s\n", str(d, "updated"));
}

static void show_created(const json_t *d) {
    const json_t *psk = json_object_get(json_object_get(d, "credentials"), "psk");
    printf("device %s enrolled (%s)\n", str(d, "id"), str(d, "state"));
    if (json_object_get(psk, "key")) {
        printf("psk identity: %s\n", str(psk, "identity"));
        printf("psk key:      %s\n", str(psk, "key"));
        printf("The key is shown only now: give it to the device; it cannot be read back.\n");
    }
}

static void show_state(const json_t *d) {
    printf("device %s: %s\n", str(d, "id"), str(d, "state"));
}

static void show_audit(const json_t *r) {
    size_t i;
    json_t *l;
    printf("%-27s %-13s %-8s %-16s %-30s %s\n", "TIME", "EVENT", "DECISION", "FROM", "TARGET",
           "REASON");
    json_array_foreach(json_object_get(r, "lines"), i, l) {
        const char *reason = json_string_value(json_object_get(l, "reason"));
        if (!reason)
            reason = json_string_value(json_object_get(l, "rule"));
        printf("%-27s %-13s %-8s %-16s %-30s %s\n", str(l, "time"), str(l, "event"),
               str(l, "decision"), str(l, "from"), str(l, "target"), reason ? reason : "-");
    }
}

static void show_health(const json_t *r) {
    const json_t *reg = json_object_get(r, "registry");
    printf("status:   %s\n", str(r, "status"));
    printf("store:    %s\n", json_is_true(json_object_get(json_object_get(r, "store"), "ok"))
                                 ? "ok"
                                 : str(json_object_get(r, "store"), "error"));
    printf("registry: %lld device(s), %lld suspended, key id %s%s\n",
           json_integer_value(json_object_get(reg, "devices")),
           json_integer_value(json_object_get(reg, "suspended")), str(reg, "key_id"),
           json_is_true(json_object_get(reg, "stale")) ? ", STALE" : "");
    const json_t *radius = json_object_get(r, "radius");
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(radius, "servers"), i, s)
        printf("radius:   %s %s %s\n", str(s, "server"),
               json_is_true(json_object_get(s, "alive")) ? "alive" : "DOWN", str(s, "reason"));
}

static void show_policy_ok(const json_t *r) {
    if (json_object_get(r, "applied"))
        printf("policy applied (%lld ACPs)\n", json_integer_value(json_object_get(r, "acps")));
    else
        printf("policy valid (%lld ACPs)\n", json_integer_value(json_object_get(r, "acps")));
}

static void show_rotated(const json_t *r) {
    printf("master key rotated: key id %s, %lld device(s) and %lld RADIUS secret(s) re-sealed\n",
           str(r, "key_id"), json_integer_value(json_object_get(r, "resealed")),
           json_integer_value(json_object_get(r, "radius_resealed")));
}

/* --- commands ------------------------------------------------------------- */

/* Appends "&k=v" (URL-escaped) to q. */
static void query_add(CURL *h, char *q, size_t cap, const char *k, const char *v) {
    if (!v)
        return;
    char *esc = curl_easy_escape(h, v, 0);
    size_t n = strlen(q);
    snprintf(q + n, cap - n, "%s%s=%s", n ? "&" : "?", k, esc ? esc : "");
    curl_free(esc);
}

static char *escaped_id(const char *id) {
    return curl_easy_escape(NULL, id, 0);
}

static int device_one(const cfg_t *c, const char *verb, const char *id) {
    char path[600];
    char *esc = escaped_id(id);
    int rc;
    if (!esc)
        return EXIT_CONNECT;
    if (strcmp(verb, "show") == 0) {
        snprintf(path, sizeof(path), "/devices/%s", esc);
        rc = run(c, "GET", path, NULL, show_device);
    } else if (strcmp(verb, "rm") == 0) {
        snprintf(path, sizeof(path), "/devices/%s", esc);
        rc = run(c, "DELETE", path, NULL, NULL);
        if (rc == 0 && !c->json)
            printf("device %s removed\n", id);
    } else {
        snprintf(path, sizeof(path), "/devices/%s/%s", esc, verb);
        rc = run(c, "POST", path, NULL, show_state);
    }
    curl_free(esc);
    return rc;
}

static json_t *read_json_file(const char *path) {
    json_error_t e;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        fprintf(stderr, "cssfctl: %s: %s (line %d)\n", path, e.text, e.line);
    return j;
}

static int device_add(const cfg_t *c, int argc, char **argv) {
    static const struct option opts[] = {{"aeid", required_argument, NULL, 'a'},
                                         {"psk-identity", required_argument, NULL, 'i'},
                                         {"psk-key", required_argument, NULL, 'k'},
                                         {"cert-san", required_argument, NULL, 's'},
                                         {"cert-sha256", required_argument, NULL, 'f'},
                                         {"client-id", required_argument, NULL, 'c'},
                                         {"aaa", no_argument, NULL, 'A'},
                                         {"group", required_argument, NULL, 'g'},
                                         {"label", required_argument, NULL, 'l'},
                                         {"lat", required_argument, NULL, 'y'},
                                         {"lon", required_argument, NULL, 'x'},
                                         {"country", required_argument, NULL, 'C'},
                                         {"suspended", no_argument, NULL, 'S'},
                                         {"file", required_argument, NULL, 'F'},
                                         {NULL, 0, NULL, 0}};
    json_t *doc = json_object(), *aeids = json_array(), *labels = json_array();
    json_t *cred = json_object(), *psk = NULL, *cert = NULL, *loc = NULL;
    const char *file = NULL;
    int o, rc = EXIT_USAGE;
    optind = 0; /* 0: glibc re-initialises its scanner */
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'a':
            json_array_append_new(aeids, json_string(optarg));
            break;
        case 'l':
            json_array_append_new(labels, json_string(optarg));
            break;
        case 'i':
        case 'k':
            if (!psk)
                psk = json_object();
            json_object_set_new(psk, o == 'i' ? "identity" : "key", json_string(optarg));
            break;
        case 's':
        case 'f':
            if (!cert)
                cert = json_object();
            json_object_set_new(cert, o == 's' ? "san" : "sha256", json_string(optarg));
            break;
        case 'c':
            json_object_set_new(cred, "oauth", json_pack("{s:s}", "client_id", optarg));
            break;
        case 'A':
            json_object_set_new(cred, "aaa", json_true());
            break;
        case 'g':
            json_object_set_new(doc, "group", json_string(optarg));
            break;
        case 'y':
        case 'x': {
            char *end;
            double v = strtod(optarg, &end);
            if (*end || end == optarg) {
                rc = usage_error("--%s wants a number", o == 'y' ? "lat" : "lon");
                goto out;
            }
            if (!loc)
                loc = json_object();
            json_object_set_new(loc, o == 'y' ? "lat" : "lon", json_real(v));
            break;
        }
        case 'C':
            if (!loc)
                loc = json_object();
            json_object_set_new(loc, "country", json_string(optarg));
            break;
        case 'S':
            json_object_set_new(doc, "state", json_string("suspended"));
            break;
        case 'F':
            file = optarg;
            break;
        default:
            rc = usage_error("device add: unknown option");
            goto out;
        }
    }
    if (file) {
        if (optind != argc || json_object_size(doc) || json_array_size(aeids)) {
            rc = usage_error("device add --file takes no ID or other options");
            goto out;
        }
        json_t *given = read_json_file(file);
        if (!given) {
            rc = EXIT_API;
            goto out;
        }
        rc = run(c, "POST", "/devices", given, show_created);
        json_decref(given);
        goto out;
    }
    if (optind != argc - 1) {
        rc = usage_error("device add needs exactly one ID");
        goto out;
    }
    json_object_set_new(doc, "id", json_string(argv[optind]));
    json_object_set(doc, "aeids", aeids);
    if (psk)
        json_object_set(cred, "psk", psk);
    if (cert)
        json_object_set(cred, "certificate", cert);
    json_object_set(doc, "credentials", cred);
    if (loc)
        json_object_set(doc, "location", loc);
    if (json_array_size(labels))
        json_object_set(doc, "labels", labels);
    /* The server validates everything (one set of rules, one message). */
    rc = run(c, "POST", "/devices", doc, show_created);
out:
    json_decref(doc);
    json_decref(aeids);
    json_decref(labels);
    json_decref(cred);
    json_decref(psk);
    json_decref(cert);
    json_decref(loc);
    return rc;
}

static int device_list(const cfg_t *c, int argc, char **argv) {
    static const struct option opts[] = {{"state", required_argument, NULL, 's'},
                                         {"group", required_argument, NULL, 'g'},
                                         {"label", required_argument, NULL, 'l'},
                                         {"aeid", required_argument, NULL, 'a'},
                                         {"limit", required_argument, NULL, 'n'},
                                         {"offset", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    static const char *const keys[] = {['s'] = "state", ['g'] = "group", ['l'] = "label",
                                       ['a'] = "aeid",  ['n'] = "limit", ['o'] = "offset"};
    char q[2048] = "", path[2100];
    CURL *h = curl_easy_init();
    int o;
    optind = 0; /* 0: glibc re-initialises its scanner */
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == '?' || o < 0 || (size_t)o >= sizeof(keys) / sizeof(keys[0]) || !keys[o]) {
            curl_easy_cleanup(h);
            return usage_error("device list: unknown option");
        }
        query_add(h, q, sizeof(q), keys[o], optarg);
    }
    curl_easy_cleanup(h);
    if (optind != argc)
        return usage_error("device list takes no arguments");
    snprintf(path, sizeof(path), "/devices%s", q);
    return run(c, "GET", path, NULL, show_list);
}

static int cmd_device(const cfg_t *c, int argc, char **argv) {
    if (argc < 2)
        return usage_error("device needs a verb: add, list, show, suspend, resume, rm");
    const char *verb = argv[1];
    if (strcmp(verb, "add") == 0)
        return device_add(c, argc - 1, argv + 1);
    if (strcmp(verb, "list") == 0)
        return device_list(c, argc - 1, argv + 1);
    if (strcmp(verb, "show") == 0 || strcmp(verb, "suspend") == 0 || strcmp(verb, "resume") == 0 ||
        strcmp(verb, "rm") == 0) {
        if (argc != 3)
            return usage_error("device %s needs exactly one ID", verb);
        return device_one(c, verb, argv[2]);
    }
    return usage_error("unknown device verb '%s'", verb);
}

/* DIR/cssf.json and the .json files of DIR/acps as the API's policy document. */
static json_t *policy_from_dir(const char *dir) {
    char path[4200];
    snprintf(path, sizeof(path), "%s/cssf.json", dir);
    json_t *main_doc = read_json_file(path);
    if (!main_doc)
        return NULL;
    json_t *acps = json_object();
    snprintf(path, sizeof(path), "%s/acps", dir);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/acps/%s", dir, e->d_name);
        json_t *acp = read_json_file(path);
        if (!acp) {
            closedir(d);
            json_decref(main_doc);
            json_decref(acps);
            return NULL;
        }
        json_object_set_new(acps, e->d_name, acp);
    }
    if (d)
        closedir(d);
    return json_pack("{s:o,s:o}", "main", main_doc, "acps", acps);
}

static int write_json_file(const char *path, const json_t *j) {
    if (json_dump_file(j, path, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY) != 0) {
        fprintf(stderr, "cssfctl: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static int policy_get_into(const cfg_t *c, const char *dir) {
    long status = 0;
    json_t *reply = NULL;
    int rc = call(c, "GET", "/policies", NULL, &status, &reply);
    if (rc)
        return rc;
    if (status >= 400) {
        rc = api_error(c, status, reply);
    } else if (!dir) {
        print_json(reply);
    } else {
        char path[4200];
        snprintf(path, sizeof(path), "%s/acps", dir);
        if (mkdir(dir, 0755) < 0 && access(dir, W_OK) != 0)
            rc = EXIT_API;
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/cssf.json", dir);
        if (!rc && write_json_file(path, json_object_get(reply, "main")) < 0)
            rc = EXIT_API;
        const char *name;
        json_t *v;
        json_object_foreach(json_object_get(reply, "acps"), name, v) {
            snprintf(path, sizeof(path), "%s/acps/%s", dir, name);
            if (!rc && (strchr(name, '/') || write_json_file(path, v) < 0))
                rc = EXIT_API;
        }
        if (!rc)
            printf("policy written to %s\n", dir);
    }
    json_decref(reply);
    return rc;
}

static int cmd_policy(const cfg_t *c, int argc, char **argv) {
    if (argc < 2)
        return usage_error("policy needs a verb: check, get, apply");
    const char *verb = argv[1];
    if (strcmp(verb, "get") == 0) {
        if (argc > 3)
            return usage_error("policy get takes at most a directory");
        return policy_get_into(c, argc == 3 ? argv[2] : NULL);
    }
    if (strcmp(verb, "check") != 0 && strcmp(verb, "apply") != 0)
        return usage_error("unknown policy verb '%s'", verb);
    if (argc != 3)
        return usage_error("policy %s needs a policy directory", verb);
    json_t *doc = policy_from_dir(argv[2]);
    if (!doc)
        return EXIT_API;
    int rc = run(c, "PUT", strcmp(verb, "check") == 0 ? "/policies?dry_run=true" : "/policies", doc,
                 show_policy_ok);
    json_decref(doc);
    return rc;
}

/* --- radius ------------------------------------------------------------------ */

static void show_radius_list(const json_t *r) {
    size_t i;
    json_t *e;
    char roles[64];
    printf("%-32s %-10s %-7s %-7s %-17s %s\n", "NAME", "ROLES", "IN-USE", "SEALED", "KEY-ID",
           "UPDATED");
    json_array_foreach(json_object_get(r, "secrets"), i, e) {
        join_array(json_object_get(e, "roles"), roles, sizeof(roles));
        printf("%-32s %-10s %-7s %-7s %-17s %s\n", str(e, "name"), roles, str(e, "in_use"),
               json_is_true(json_object_get(e, "sealed")) ? "yes" : "no", str(e, "key_id"),
               str(e, "updated"));
    }
    printf("%lld name(s)\n", json_integer_value(json_object_get(r, "total")));
}

static void show_radius_set(const json_t *r) {
    printf("secret of %s sealed under key id %s (in use: %s)\n", str(r, "name"), str(r, "key_id"),
           str(r, "in_use"));
    if (!json_is_true(json_object_get(r, "configured")))
        fprintf(stderr,
                "cssfctl: note: no configured RADIUS server is named %s; it is used once "
                "one is\n",
                str(r, "name"));
}

/* One line of at most RADIUS_SECRET_MAX bytes from f (newline removed).
 * Returns its length, or -1 with a message. */
static long read_secret_line(FILE *f, const char *what, char *out, size_t cap) {
    if (!fgets(out, (int)cap, f)) {
        fprintf(stderr, "cssfctl: no secret in %s\n", what);
        return -1;
    }
    size_t n = strcspn(out, "\r\n");
    int whole = out[n] != '\0' || feof(f);
    out[n] = '\0';
    if (!whole || n == 0 || n > RADIUS_SECRET_MAX) {
        fprintf(stderr, "cssfctl: the secret in %s must be one line of 1 to %d bytes\n", what,
                RADIUS_SECRET_MAX);
        return -1;
    }
    return (long)n;
}

/* The secret from --secret-file, else stdin (no echo on a terminal). */
static long read_secret(const char *file, const char *name, char *out, size_t cap) {
    if (file) {
        FILE *f = fopen(file, "re");
        if (!f) {
            fprintf(stderr, "cssfctl: %s: %s\n", file, strerror(errno));
            return -1;
        }
        long n = read_secret_line(f, file, out, cap);
        fclose(f);
        return n;
    }
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf(stderr, "shared secret for %s: ", name);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    long n = read_secret_line(stdin, "stdin", out, cap);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    return n;
}

static int radius_set_secret(const cfg_t *c, int argc, char **argv) {
    static const struct option opts[] = {{"secret-file", required_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    const char *file = NULL;
    int o;
    optind = 0;
    while ((o = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        if (o != 'f')
            return usage_error("radius set-secret: unknown option (the secret is read from "
                               "stdin or --secret-file, never from the command line)");
        file = optarg;
    }
    if (optind != argc - 2)
        return usage_error("radius set-secret needs one NAME (host:port or psk-password)");
    const char *name = argv[argc - 1];
    char secret[RADIUS_SECRET_MAX + 2], path[1024];
    long n = read_secret(file, name, secret, sizeof(secret));
    if (n < 0)
        return EXIT_USAGE;
    char *esc = escaped_id(name);
    json_t *body = json_object();
    int rc = EXIT_CONNECT;
    if (esc && body && json_object_set_new(body, "secret", json_stringn(secret, (size_t)n)) == 0) {
        snprintf(path, sizeof(path), "/radius/secrets/%s", esc);
        rc = run(c, "PUT", path, body, show_radius_set);
    }
    /* Wipe the copies this process holds. */
    json_t *v = json_object_get(body, "secret");
    if (v)
        json_string_set(v, "");
    volatile char *p = secret;
    for (size_t i = 0; i < sizeof(secret); i++)
        p[i] = 0;
    json_decref(body);
    curl_free(esc);
    return rc;
}

static int cmd_radius(const cfg_t *c, int argc, char **argv) {
    if (argc < 2)
        return usage_error("radius needs a verb: list, set-secret, delete-secret");
    const char *verb = argv[1];
    if (strcmp(verb, "list") == 0)
        return argc == 2 ? run(c, "GET", "/radius/secrets", NULL, show_radius_list)
                         : usage_error("radius list takes no arguments");
    if (strcmp(verb, "set-secret") == 0)
        return radius_set_secret(c, argc, argv);
    if (strcmp(verb, "delete-secret") != 0)
        return usage_error("unknown radius verb '%s'", verb);
    if (argc != 3)
        return usage_error("radius delete-secret needs one NAME");
    char path[1024];
    char *esc = escaped_id(argv[2]);
    if (!esc)
        return EXIT_CONNECT;
    snprintf(path, sizeof(path), "/radius/secrets/%s", esc);
    curl_free(esc);
    int rc = run(c, "DELETE", path, NULL, NULL);
    if (rc == 0 && !c->json)
        printf("sealed secret of %s deleted\n", argv[2]);
    return rc;
}

static int cmd_audit(const cfg_t *c, int argc, char **argv) {
    static const struct option opts[] = {
        {"device", required_argument, NULL, 'd'},   {"from", required_argument, NULL, 'f'},
        {"decision", required_argument, NULL, 'D'}, {"event", required_argument, NULL, 'e'},
        {"limit", required_argument, NULL, 'n'},    {NULL, 0, NULL, 0}};
    static const char *const keys[] = {
        ['d'] = "device", ['f'] = "from", ['D'] = "decision", ['e'] = "event", ['n'] = "limit"};
    if (argc < 2 || strcmp(argv[1], "tail") != 0)
        return usage_error("audit needs the verb tail");
    char q[2048] = "", path[2100];
    CURL *h = curl_easy_init();
    int o;
    optind = 0; /* 0: glibc re-initialises its scanner */
    while ((o = getopt_long(argc - 1, argv + 1, "n:", opts, NULL)) != -1) {
        if (o == '?' || o < 0 || (size_t)o >= sizeof(keys) / sizeof(keys[0]) || !keys[o]) {
            curl_easy_cleanup(h);
            return usage_error("audit tail: unknown option");
        }
        query_add(h, q, sizeof(q), keys[o], optarg);
    }
    curl_easy_cleanup(h);
    if (optind != argc - 1)
        return usage_error("audit tail takes no arguments");
    snprintf(path, sizeof(path), "/audit%s", q);
    return run(c, "GET", path, NULL, show_audit);
}

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

int main(int argc, char **argv) {
    static const struct option opts[] = {{"url", required_argument, NULL, 'u'},
                                         {"origin", required_argument, NULL, 'o'},
                                         {"token", required_argument, NULL, 't'},
                                         {"cert", required_argument, NULL, 'c'},
                                         {"key", required_argument, NULL, 'k'},
                                         {"cacert", required_argument, NULL, 'a'},
                                         {"timeout", required_argument, NULL, 'T'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    cfg_t c = {
        .url = env_or("CSSF_URL", "http://127.0.0.1:8080"),
        .origin = env_or("CSSF_ORIGIN", "CAdmin"),
        .token = env_or("CSSF_TOKEN", NULL),
        .cert = env_or("CSSF_CERT", NULL),
        .key = env_or("CSSF_KEY", NULL),
        .cacert = env_or("CSSF_CACERT", NULL),
        .timeout_s = 10,
    };
    int o;
    /* Global options come before the command ("+": stop at the first
     * non-option), so commands parse their own. */
    while ((o = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
        switch (o) {
        case 'u':
            c.url = optarg;
            break;
        case 'o':
            c.origin = optarg;
            break;
        case 't':
            c.token = optarg;
            break;
        case 'c':
            c.cert = optarg;
            break;
        case 'k':
            c.key = optarg;
            break;
        case 'a':
            c.cacert = optarg;
            break;
        case 'T':
            c.timeout_s = strtol(optarg, NULL, 10);
            if (c.timeout_s <= 0)
                return usage_error("--timeout wants a number of seconds");
            break;
        case 'j':
            c.json = 1;
            break;
        case 'v':
            c.verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rest = argc - optind;
    char **args = argv + optind;
    const char *cmd = args[0];
    int rc;
    if (strcmp(cmd, "device") == 0)
        rc = cmd_device(&c, rest, args);
    else if (strcmp(cmd, "policy") == 0)
        rc = cmd_policy(&c, rest, args);
    else if (strcmp(cmd, "audit") == 0)
        rc = cmd_audit(&c, rest, args);
    else if (strcmp(cmd, "radius") == 0)
        rc = cmd_radius(&c, rest, args);
    else if (strcmp(cmd, "health") == 0)
        rc = rest == 1 ? run(&c, "GET", "/health", NULL, show_health)
                       : usage_error("health takes no arguments");
    else if (strcmp(cmd, "key") == 0)
        rc = rest == 2 && strcmp(args[1], "rotate") == 0
                 ? run(&c, "POST", "/master-key/rotate", NULL, show_rotated)
                 : usage_error("key needs the verb rotate");
    else
        rc = usage_error("unknown command '%s'", cmd);
    curl_global_cleanup();
    return rc;
}
