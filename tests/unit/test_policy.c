/* Policy files: validation with exact JSON paths and reasons, directory
 * loading, ACP application and the snapshot holder under concurrency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cse/plugin.h"
#include "plugin/data/policy.h"
#include "plugin/data/policy_apply.h"
#include "plugin/data/policy_snapshot.h"

/* Runs text through the cssf.json or ACP parser; returns the report as
 * "FILE: PATH: reason" lines joined by '\n' (static buffer). */
static const char *problems(int acp_file, const char *text) {
    static char out[8192];
    cssf_policy_t *pol = cssf_policy_new(NULL);
    cssf_policy_report_t *rep = malloc(sizeof(*rep));
    assert_non_null(pol);
    assert_non_null(rep);
    cssf_policy_report_init(rep);
    if (acp_file)
        cssf_policy_parse_acps(pol, "a.json", text, strlen(text), "cse-in", rep);
    else
        cssf_policy_parse_main(pol, "cssf.json", text, strlen(text), rep);
    out[0] = '\0';
    for (size_t i = 0; i < rep->n; i++) {
        char line[1024];
        cssf_policy_report_format(rep, i, line, sizeof(line));
        if (i)
            strncat(out, "\n", sizeof(out) - strlen(out) - 1);
        strncat(out, line, sizeof(out) - strlen(out) - 1);
    }
    cssf_policy_report_clear(rep);
    free(rep);
    cssf_policy_release(pol);
    return out;
}

typedef struct vcase {
    int acp;
    const char *text;
    const char *expect; /* exact report, "" = valid */
} vcase_t;

#define ACP_OK "\"pv\":{\"acr\":[]},\"pvs\":{\"acr\":[{\"acor\":[\"CAdmin\"],\"acop\":63}]}"
#define RULE(r)                                                                                    \
    "{\"rn\":\"a\",\"pv\":{\"acr\":[" r "]},"                                                      \
    "\"pvs\":{\"acr\":[{\"acor\":[\"CAdmin\"],\"acop\":63}]}}"

static const vcase_t vcases[] = {
    /* cssf.json */
    {0, "{}", ""},
    {0,
     "{\"description\":\"d\",\"authentication\":{\"http\":\"optional\",\"coaps\":\"required\"},"
     "\"admin_originator\":\"CAdmin\",\"admins\":[\"a@b\"],\"identities\":{\"a@b\":[\"C*\"]},"
     "\"unauthenticated\":[{\"operations\":[\"retrieve\",\"discovery\"],\"targets\":[\"cse-in\"]}],"
     "\"registration\":{\"allowed_originators\":[\"C*\"],\"allowed_app_ids\":[]},"
     "\"audit\":{\"keep\":3,\"permits\":false},\"tokens\":{\"x\":1},\"radius\":{}}",
     ""},
    {0, "{\"admns\":[]}", "cssf.json: $.admns: unknown key"},
    {0, "[]", "cssf.json: $: expected an object"},
    {0, "{\"a\":1,\"a\":2}",
     "cssf.json: $: invalid JSON at line 1 column 10: duplicate object key near '\"a\"'"},
    {0, "{",
     "cssf.json: $: invalid JSON at line 1 column 1: string or '}' expected near end of file"},
    {0, "{\"authentication\":\"maybe\"}",
     "cssf.json: $.authentication: expected \"required\", \"optional\" or an object per binding "
     "(http, https, coap, coaps)"},
    {0, "{\"authentication\":{\"mqtt\":\"optional\"}}",
     "cssf.json: $.authentication.mqtt: unknown binding (expected http, https, coap or coaps)"},
    {0, "{\"authentication\":{\"http\":true}}",
     "cssf.json: $.authentication.http: expected \"required\" or \"optional\""},
    {0, "{\"admins\":\"a\"}", "cssf.json: $.admins: expected an array of strings"},
    {0, "{\"admins\":[\"a\",\"\"]}", "cssf.json: $.admins[1]: must not be empty"},
    {0, "{\"admins\":[\"a\",\"a\"]}", "cssf.json: $.admins[1]: duplicate entry 'a'"},
    {0, "{\"admin_originator\":5}", "cssf.json: $.admin_originator: expected a string"},
    {0, "{\"identities\":{\"psk@x\":[]}}", "cssf.json: $.identities[\"psk@x\"]: must not be empty"},
    {0, "{\"identities\":{\"dev1\":[\"C1\",7]}}",
     "cssf.json: $.identities.dev1[1]: expected a string"},
    {0, "{\"unauthenticated\":[{\"targets\":[\"x\"]}]}",
     "cssf.json: $.unauthenticated[0]: missing required key 'operations'"},
    {0, "{\"unauthenticated\":[{\"operations\":[\"read\"]}]}",
     "cssf.json: $.unauthenticated[0].operations[0]: unknown value 'read' (expected create, "
     "retrieve, update, delete, notify or discovery)"},
    {0, "{\"unauthenticated\":[{\"operations\":[\"create\"],\"resource_types\":[2,0]}]}",
     "cssf.json: $.unauthenticated[0].resource_types[1]: must be a resource type (integer "
     "1-65535)"},
    {0, "{\"registration\":{\"allowed\":[]}}", "cssf.json: $.registration.allowed: unknown key"},
    {0, "{\"audit\":{\"keep\":-1}}",
     "cssf.json: $.audit.keep: must be an integer between 0 and 100"},
    {0, "{\"audit\":{\"permits\":1}}", "cssf.json: $.audit.permits: expected true or false"},
    {0, "{\"tokens\":[]}", "cssf.json: $.tokens: expected an object"},
    {0, "{\"radius\":\"x\"}", "cssf.json: $.radius: expected an object"},
    {0, "{\"description\":1,\"x\":1}",
     "cssf.json: $.x: unknown key\ncssf.json: $.description: expected a string"},
    /* ACP files */
    {1, "{\"rn\":\"acpSensors\"," ACP_OK "}", ""},
    {1, "{\"description\":\"two\",\"acps\":[{\"rn\":\"a\"," ACP_OK "},{\"rn\":\"b\"," ACP_OK "}]}",
     ""},
    {1, "{\"acps\":[]}", "a.json: $.acps: expected a non-empty array of ACP objects"},
    {1, "{\"acps\":[{\"rn\":\"a\"," ACP_OK "}],\"x\":1}", "a.json: $.x: unknown key"},
    {1, "{\"acps\":[{\"rn\":\"a\"," ACP_OK "},{\"rn\":\"a\"," ACP_OK "}]}",
     "a.json: $.acps[1].rn: duplicate ACP 'a' under 'cse-in' (already defined in a.json)"},
    {1, "{" ACP_OK "}", "a.json: $: missing required key 'rn' (the ACP's stable resource name)"},
    {1, "{\"rn\":\"a b\"," ACP_OK "}",
     "a.json: $.rn: must be a resource name of 1-64 characters A-Z a-z 0-9 - . _ ~"},
    {1, "{\"rn\":\"a\",\"parent\":\"/cse-in\"," ACP_OK "}",
     "a.json: $.parent: must be a structured resource path such as \"cse-in\" or "
     "\"cse-in/gateway\" (no leading slash)"},
    {1, "{\"rn\":\"a\",\"parent\":\"cse-in/gw1\"," ACP_OK "}", ""},
    {1, "{\"rn\":\"a\",\"pv\":{\"acr\":[]}}", "a.json: $: missing required key 'pvs'"},
    {1, "{\"rn\":\"a\",\"pv\":{\"acr\":[]},\"pvs\":{\"acr\":[]}}",
     "a.json: $.pvs.acr: pvs needs at least one rule"},
    {1, "{\"rn\":\"a\",\"pv\":{},\"pvs\":{\"acr\":[{\"acor\":[\"C\"],\"acop\":1}]}}",
     "a.json: $.pv: missing required key 'acr'"},
    {1,
     "{\"acps\":[{\"rn\":\"x\"," ACP_OK "},{\"rn\":\"a\",\"pv\":{\"acr\":[{\"acor\":[\"C\"],"
     "\"acop\":1},{\"acor\":[\"C\"],\"acop\":1},{\"acor\":[\"C\"],\"acop\":64}]},"
     "\"pvs\":{\"acr\":[{\"acor\":[\"C\"],\"acop\":1}]}}]}",
     "a.json: $.acps[1].pv.acr[2].acop: must be an integer between 1 and 63 (CREATE 1, RETRIEVE "
     "2, UPDATE 4, DELETE 8, NOTIFY 16, DISCOVERY 32)"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2.0}"),
     "a.json: $.pv.acr[0].acop: must be an integer between 1 and 63 (CREATE 1, RETRIEVE 2, UPDATE "
     "4, DELETE 8, NOTIFY 16, DISCOVERY 32)"},
    {1, RULE("{\"acop\":2}"), "a.json: $.pv.acr[0]: missing required key 'acor'"},
    {1, RULE("{\"acor\":[],\"acop\":2}"), "a.json: $.pv.acr[0].acor: must not be empty"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2,\"acpo\":1}"), "a.json: $.pv.acr[0].acpo: unknown key"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2,\"acaf\":\"yes\"}"),
     "a.json: $.pv.acr[0].acaf: expected true or false"},
    {1,
     RULE("{\"acor\":[\"C\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * 8-17 * * 1-5 *\"],"
          "\"acip\":{\"ipv4\":[\"10.0.0.0/8\",\"192.0.2.7\"],\"ipv6\":[\"2001:db8::/32\"]},"
          "\"aclr\":{\"accc\":[\"DE\"]}}],\"acod\":[{\"ty\":3,\"chty\":[4]}]}"),
     ""},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2,\"acco\":[{}]}"),
     "a.json: $.pv.acr[0].acco[0]: a context needs actw, acip or aclr"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * 25 * * * *\"]}]}"),
     "a.json: $.pv.acr[0].acco[0].actw[0]: hour field: '25' outside 0-23"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * * * *\"]}]}"),
     "a.json: $.pv.acr[0].acco[0].actw[0]: expected 7 fields (sec min hour dom month dow year), "
     "got 5"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2,\"acco\":[{\"actw\":[\"0 0 17-8 * * * *\"]}]}"),
     "a.json: $.pv.acr[0].acco[0].actw[0]: hour field: range 17-8 is reversed"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2,\"acco\":[{\"actw\":[\"*/0 * * * * * *\"]}]}"),
     "a.json: $.pv.acr[0].acco[0].actw[0]: second field: step must be a positive number"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2,\"acco\":[{\"actw\":[\"0 0 8 * * mon *\"]}]}"),
     "a.json: $.pv.acr[0].acco[0].actw[0]: day of week field: cannot parse 'mon'"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2,\"acco\":[{\"acip\":{\"ipv4\":[\"10.0.0.0/33\"]}}]}"),
     "a.json: $.pv.acr[0].acco[0].acip.ipv4[0]: '10.0.0.0/33' is not an IPv4 address or prefix"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2,\"acco\":[{\"acip\":{\"ipv6\":[\"10.0.0.1\"]}}]}"),
     "a.json: $.pv.acr[0].acco[0].acip.ipv6[0]: '10.0.0.1' is not an IPv6 address or prefix"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2,\"acco\":[{\"acip\":{\"ip\":[]}}]}"),
     "a.json: $.pv.acr[0].acco[0].acip.ip: unknown key"},
    {1,
     RULE("{\"acor\":[\"C\"],\"acop\":2,\"acco\":[{\"aclr\":{\"accc\":[\"DE\"],"
          "\"accr\":[1,2,3]}}]}"),
     "a.json: $.pv.acr[0].acco[0].aclr: accc (country codes) and accr (circular region) exclude "
     "each other"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2,\"acco\":[{\"aclr\":{\"accr\":[91,2,3]}}]}"),
     "a.json: $.pv.acr[0].acco[0].aclr.accr[0]: latitude out of range"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":2,\"acco\":[{\"aclr\":{\"accc\":[\"de\"]}}]}"),
     "a.json: $.pv.acr[0].acco[0].aclr.accc[0]: 'de' is not an ISO 3166-1 alpha-2 country code"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":1,\"acod\":[{\"chty\":[0]}]}"),
     "a.json: $.pv.acr[0].acod[0].chty[0]: must be a resource type (integer 1-65535)"},
    {1, RULE("{\"acor\":[\"C\"],\"acop\":1,\"acod\":[{\"typ\":2}]}"),
     "a.json: $.pv.acr[0].acod[0].typ: unknown key"},
};

static void test_validation_table(void **state) {
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
        const char *got = problems(vcases[i].acp, vcases[i].text);
        if (strcmp(got, vcases[i].expect) != 0) {
            print_error("case %zu: %s\n  got:    %s\n  wanted: %s\n", i, vcases[i].text, got,
                        vcases[i].expect);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

/* What the parser extracts. */
static void test_extraction(void **state) {
    (void)state;
    cssf_policy_defaults_t defs = {CSSF_AUTHN_REQUIRED, 0, "cse-in"};
    cssf_policy_t *pol = cssf_policy_new(&defs);
    cssf_policy_report_t rep;
    cssf_policy_report_init(&rep);
    const char *text = "{\"authentication\":{\"coap\":\"optional\"},\"admin_originator\":\"Cboss\","
                       "\"admins\":[\"ops@x\"],\"audit\":{\"keep\":2,\"permits\":false}}";
    assert_int_equal(cssf_policy_parse_main(pol, "cssf.json", text, strlen(text), &rep), 0);
    assert_int_equal(cssf_policy_authn_mode(pol, CSE_BINDING_COAP), CSSF_AUTHN_OPTIONAL);
    assert_int_equal(cssf_policy_authn_mode(pol, CSE_BINDING_HTTP), CSSF_AUTHN_REQUIRED);
    assert_string_equal(pol->admin_originator, "Cboss");
    assert_int_equal(cssf_policy_is_admin(pol, "ops@x"), 1);
    assert_int_equal(cssf_policy_is_admin(pol, "Cboss"), 0);
    assert_int_equal(pol->audit_keep, 2);
    assert_int_equal(pol->audit_permits, 0);
    const char *acps = "{\"rn\":\"acpA\",\"parent\":\"cse-in/gw\",\"lbl\":[\"x\"],\"description\":"
                       "\"not applied\"," ACP_OK "}";
    assert_int_equal(cssf_policy_parse_acps(pol, "a.json", acps, strlen(acps), "cse-in", &rep), 0);
    assert_int_equal(pol->nacps, 1);
    assert_string_equal(pol->acps[0].parent, "cse-in/gw");
    assert_string_equal(pol->acps[0].rn, "acpA");
    assert_string_equal(
        pol->acps[0].body,
        "{\"pv\":{\"acr\":[]},\"pvs\":{\"acr\":[{\"acor\":[\"CAdmin\"],\"acop\":63}]"
        "},\"lbl\":[\"x\"]}");
    cssf_policy_report_clear(&rep);
    cssf_policy_release(pol);
}

/* --- directories --------------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *make_dir(void) {
    char *dir = strdup("/tmp/cssf-policy-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char sub[512];
    snprintf(sub, sizeof(sub), "%s/acps", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    return dir;
}

static void remove_dir(char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static void test_load_dir(void **state) {
    (void)state;
    char *dir = make_dir();
    write_file(dir, "cssf.json", "{\"admins\":[\"ops\"]}");
    write_file(dir, "acps/20-b.json", "{\"rn\":\"b\"," ACP_OK "}");
    write_file(dir, "acps/10-a.json", "{\"acps\":[{\"rn\":\"a\"," ACP_OK "}]}");
    write_file(dir, "acps/README.txt", "not a policy");
    write_file(dir, "acps/.hidden.json", "broken");
    cssf_policy_defaults_t defs = {CSSF_AUTHN_OPTIONAL, 1, "cse-in"};
    cssf_policy_report_t rep;
    cssf_policy_report_init(&rep);
    cssf_policy_t *pol = cssf_policy_load(dir, &defs, &rep);
    assert_non_null(pol);
    assert_int_equal(rep.total, 0);
    assert_int_equal(pol->nacps, 2); /* in file name order */
    assert_string_equal(pol->acps[0].rn, "a");
    assert_string_equal(pol->acps[1].rn, "b");
    assert_int_equal(pol->trust_claimed_admin, 1);
    assert_int_equal(cssf_policy_authn_mode(pol, CSE_BINDING_HTTPS), CSSF_AUTHN_OPTIONAL);
    cssf_policy_release(pol);

    /* One ACP name in two files; an invalid file; every problem reported. */
    write_file(dir, "acps/30-dup.json", "{\"rn\":\"a\"," ACP_OK "}");
    write_file(dir, "acps/40-bad.json",
               "{\"rn\":\"c\",\"pv\":{\"acr\":[]},\"pvs\":{\"acr\":[{"
               "\"acor\":[\"C\"],\"acop\":0}]}}");
    pol = cssf_policy_load(dir, &defs, &rep);
    assert_null(pol);
    assert_int_equal(rep.total, 2);
    char line[1024], want[1024];
    cssf_policy_report_format(&rep, 0, line, sizeof(line));
    snprintf(want, sizeof(want),
             "%s/acps/30-dup.json: $.rn: duplicate ACP 'a' under 'cse-in' (already defined in "
             "%s/acps/10-a.json)",
             dir, dir);
    assert_string_equal(line, want);
    cssf_policy_report_format(&rep, 1, line, sizeof(line));
    snprintf(want, sizeof(want), "%s/acps/40-bad.json: $.pvs.acr[0].acop: ", dir);
    assert_memory_equal(line, want, strlen(want));
    cssf_policy_report_clear(&rep);

    /* Missing cssf.json */
    char path[512];
    snprintf(path, sizeof(path), "%s/cssf.json", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/acps/30-dup.json", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/acps/40-bad.json", dir);
    unlink(path);
    pol = cssf_policy_load(dir, &defs, &rep);
    assert_null(pol);
    assert_int_equal(rep.total, 1);
    cssf_policy_report_format(&rep, 0, line, sizeof(line));
    snprintf(want, sizeof(want), "%s/cssf.json: $: cannot open: No such file or directory", dir);
    assert_string_equal(line, want);
    cssf_policy_report_clear(&rep);

    /* Not a directory */
    pol = cssf_policy_load("/nonexistent/cssf-policies", &defs, &rep);
    assert_null(pol);
    cssf_policy_report_format(&rep, 0, line, sizeof(line));
    assert_string_equal(line, "/nonexistent/cssf-policies: $: not a directory");
    cssf_policy_report_clear(&rep);
    remove_dir(dir);
}

/* More problems than the report keeps: counted, not lost. */
static void test_report_limit(void **state) {
    (void)state;
    cssf_policy_report_t *rep = malloc(sizeof(*rep));
    cssf_policy_report_init(rep);
    for (int i = 0; i < CSSF_POLICY_REPORT_MAX + 5; i++)
        cssf_policy_report_add(rep, "f", "$", "problem %d", i);
    assert_int_equal(rep->n, CSSF_POLICY_REPORT_MAX);
    assert_int_equal(rep->total, CSSF_POLICY_REPORT_MAX + 5);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cssf_policy_report_print(rep, f);
    fclose(f);
    assert_non_null(strstr(buf, "f: $: problem 0\n"));
    assert_non_null(strstr(buf, "... and 5 more problem(s)\n"));
    free(buf);
    cssf_policy_report_clear(rep);
    free(rep);
}

/* --- applying ACPs ------------------------------------------------------- */

static int applied;
static int fail_at = -1;

/* Records an all-or-nothing apply: nothing counts when one change fails. */
static int record_apply(const cse_resource_change_t *changes, size_t n, size_t *failed, char *err,
                        size_t cap) {
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(changes[i].ty, 1);
        assert_non_null(strstr(changes[i].json, "\"pvs\""));
        assert_non_null(changes[i].rn);
        if ((int)i == fail_at) {
            snprintf(err, cap, "parent %s not found", changes[i].parent_path);
            *failed = i;
            return 4004;
        }
    }
    if (fail_at == (int)n) { /* all valid, the commit failed */
        snprintf(err, cap, "the change could not be stored");
        *failed = n;
        return 5000;
    }
    applied += (int)n;
    return 0;
}

static void test_apply(void **state) {
    (void)state;
    cssf_policy_t *pol = cssf_policy_new(NULL);
    cssf_policy_report_t rep;
    cssf_policy_report_init(&rep);
    const char *text =
        "{\"acps\":[{\"rn\":\"a\"," ACP_OK "},{\"rn\":\"b\",\"parent\":\"cse-in/gw\"," ACP_OK "}]}";
    assert_int_equal(cssf_policy_parse_acps(pol, "x.json", text, strlen(text), "cse-in", &rep), 0);
    char err[256];
    applied = 0;
    fail_at = -1;
    assert_int_equal(cssf_policy_apply_acps(pol, record_apply, err, sizeof(err)), 2);
    assert_int_equal(applied, 2);
    applied = 0;
    fail_at = 1;
    assert_int_equal(cssf_policy_apply_acps(pol, record_apply, err, sizeof(err)), -1);
    assert_string_equal(err, "ACP cse-in/gw/b (x.json): rsc 4004: parent cse-in/gw not found");
    assert_int_equal(applied, 0); /* the first ACP was not applied either */
    fail_at = 2;
    assert_int_equal(cssf_policy_apply_acps(pol, record_apply, err, sizeof(err)), -1);
    assert_string_equal(err, "ACPs (2): rsc 5000: the change could not be stored");
    cssf_policy_report_clear(&rep);
    cssf_policy_release(pol);
}

/* --- the snapshot holder --------------------------------------------------- */

typedef struct reader_arg {
    cssf_policy_holder_t *h;
    atomic_int *stop;
    atomic_long reads;
    atomic_long errors;
} reader_arg_t;

/* cmocka's asserts are not for other threads: count, check in the test. */
static void *reader(void *p) {
    reader_arg_t *a = p;
    while (!atomic_load(a->stop)) {
        cssf_policy_t *pol = cssf_policy_holder_acquire(a->h);
        /* Touch the snapshot: a use after free shows up under ASan. */
        if (!pol || pol->audit_keep != (int)strlen(pol->admin_originator))
            atomic_fetch_add(&a->errors, 1);
        cssf_policy_release(pol);
        atomic_fetch_add(&a->reads, 1);
    }
    return NULL;
}

static cssf_policy_t *numbered(int n) {
    cssf_policy_t *pol = cssf_policy_new(NULL);
    char name[32];
    memset(name, 'x', sizeof(name));
    name[n] = '\0';
    free(pol->admin_originator);
    pol->admin_originator = strdup(name);
    pol->audit_keep = n;
    return pol;
}

static long min_reads(reader_arg_t *args, int n) {
    long m = atomic_load(&args[0].reads);
    for (int i = 1; i < n; i++)
        if (atomic_load(&args[i].reads) < m)
            m = atomic_load(&args[i].reads);
    return m;
}

static void test_snapshot_concurrency(void **state) {
    (void)state;
    enum { READERS = 3 };
    cssf_policy_holder_t h;
    atomic_int stop;
    atomic_init(&stop, 0);
    cssf_policy_holder_init(&h, numbered(1));
    pthread_t t[READERS];
    reader_arg_t args[READERS];
    for (int i = 0; i < READERS; i++) {
        args[i].h = &h;
        args[i].stop = &stop;
        atomic_init(&args[i].reads, 0);
        atomic_init(&args[i].errors, 0);
        assert_int_equal(pthread_create(&t[i], NULL, reader, &args[i]), 0);
    }
    /* Publish while every reader keeps reading. */
    long published = 0;
    while (published < 3000 || min_reads(args, READERS) < 20000) {
        cssf_policy_holder_publish(&h, numbered(1 + (int)(published % 20)));
        published++;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < READERS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(atomic_load(&args[i].errors), 0);
    }
    /* A snapshot held across a publish stays valid until released. */
    cssf_policy_t *held = cssf_policy_holder_acquire(&h);
    cssf_policy_holder_publish(&h, numbered(7));
    assert_int_equal((int)strlen(held->admin_originator), held->audit_keep);
    cssf_policy_release(held);
    cssf_policy_t *now = cssf_policy_holder_acquire(&h);
    assert_int_equal(now->audit_keep, 7);
    cssf_policy_release(now);
    cssf_policy_holder_destroy(&h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation_table),
        cmocka_unit_test(test_extraction),
        cmocka_unit_test(test_load_dir),
        cmocka_unit_test(test_report_limit),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_snapshot_concurrency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
