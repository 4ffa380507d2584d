/* Rule matching and permit-overrides: table tests for plugin/authz/acp_eval.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "plugin/authz/acp_eval.h"

static const cssf_ids_t ids = {"/id-in", "sp.example"};

/* 2024-03-15 (a Friday) 12:34:56 UTC */
#define FRIDAY_NOON 1710506096

static cssf_res_t *acp(const char *ri, const char *pv_rules) {
    char json[4096];
    snprintf(json, sizeof(json), "{\"ri\":\"%s\",\"ty\":1,\"pv\":{\"acr\":[%s]}}", ri, pv_rules);
    cssf_res_t *r = cssf_res_parse(json, strlen(json), NULL, 1, &ids, NULL, 0);
    assert_non_null(r);
    assert_null(r->invalid);
    return r;
}

static int locate_calls;

static int locate_paris(void *arg, const char *originator, double *lat, double *lon,
                        char country[3]) {
    (void)arg;
    locate_calls++;
    if (strcmp(originator, "Cnowhere") == 0)
        return -1;
    *lat = 48.8566;
    *lon = 2.3522;
    memcpy(country, "FR", 3);
    return 0;
}

static int locate_country_only(void *arg, const char *originator, double *lat, double *lon,
                               char country[3]) {
    (void)arg;
    (void)originator;
    (void)lat;
    (void)lon;
    memcpy(country, "de", 3);
    return 0;
}

typedef struct req {
    const char *originator;
    int op; /* enum cse_operation */
    int create_ty, target_ty, authenticated;
    const char *peer; /* NULL = unknown */
    time_t now;
} req_t;

/* Evaluates one rule list (given as JSON) for r: CSE_PLUGIN_OK or DENY. */
static int eval(const char *rules, const req_t *r, const cssf_authz_env_t *env, char *out,
                size_t cap) {
    char norm[CSSF_ID_MAX];
    cssf_ip_peer_t peer;
    cssf_res_t *a = acp("acp1", rules);
    assert_true(cssf_id_normalize(r->originator, &ids, norm, sizeof(norm)) >= 0);
    cssf_eval_ctx_t ctx = {
        .orig_raw = r->originator,
        .orig_norm = norm,
        .authenticated = r->authenticated,
        .op_bit = cssf_acop_of_operation(r->op),
        .create_ty = r->create_ty,
        .target_ty = r->target_ty ? r->target_ty : 3,
        .now = r->now ? r->now : FRIDAY_NOON,
        .env = env,
    };
    if (r->peer) {
        struct sockaddr_storage ss = {0};
        socklen_t len;
        if (strchr(r->peer, ':')) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            in6->sin6_family = AF_INET6;
            inet_pton(AF_INET6, r->peer, &in6->sin6_addr);
            len = sizeof(*in6);
        } else {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            in->sin_family = AF_INET;
            inet_pton(AF_INET, r->peer, &in->sin_addr);
            len = sizeof(*in);
        }
        assert_int_equal(cssf_ip_peer_from_sockaddr(&ss, len, &peer), 0);
        ctx.peer = &peer;
    }
    const cssf_res_t *acps[1] = {a};
    const char *ris[1] = {"acp1"};
    int rc = cssf_acp_decide(acps, ris, 1, 0, &ctx, out, cap);
    cssf_res_release(a);
    return rc;
}

static void test_operations(void **state) {
    (void)state;
    assert_int_equal(cssf_acop_of_operation(CSE_OP_CREATE), 1);
    assert_int_equal(cssf_acop_of_operation(CSE_OP_RETRIEVE), 2);
    assert_int_equal(cssf_acop_of_operation(CSE_OP_UPDATE), 4);
    assert_int_equal(cssf_acop_of_operation(CSE_OP_DELETE), 8);
    assert_int_equal(cssf_acop_of_operation(CSE_OP_NOTIFY), 16);
    assert_int_equal(cssf_acop_of_operation(CSE_OP_DISCOVERY), 32);
    assert_int_equal(cssf_acop_of_operation(0), 0);
    assert_int_equal(cssf_acop_of_operation(7), 0);
}

typedef struct rule_case {
    const char *name, *rules;
    req_t req;
    int want; /* 1 permit, 0 deny */
} rule_case_t;

#define ANY_IP "\"acip\":{\"ipv4\":[\"10.0.0.0/8\"],\"ipv6\":[\"2001:db8::/32\"]}"

static const rule_case_t rule_cases[] = {
    /* acop: every operation against its own bit */
    {"create",
     "{\"acor\":[\"all\"],\"acop\":1}",
     {.originator = "Cx", .op = CSE_OP_CREATE, .create_ty = 4},
     1},
    {"create denied",
     "{\"acor\":[\"all\"],\"acop\":62}",
     {.originator = "Cx", .op = CSE_OP_CREATE, .create_ty = 4},
     0},
    {"retrieve", "{\"acor\":[\"all\"],\"acop\":2}", {.originator = "Cx", .op = CSE_OP_RETRIEVE}, 1},
    {"update", "{\"acor\":[\"all\"],\"acop\":4}", {.originator = "Cx", .op = CSE_OP_UPDATE}, 1},
    {"update denied",
     "{\"acor\":[\"all\"],\"acop\":59}",
     {.originator = "Cx", .op = CSE_OP_UPDATE},
     0},
    {"delete", "{\"acor\":[\"all\"],\"acop\":8}", {.originator = "Cx", .op = CSE_OP_DELETE}, 1},
    {"notify", "{\"acor\":[\"all\"],\"acop\":16}", {.originator = "Cx", .op = CSE_OP_NOTIFY}, 1},
    {"discovery",
     "{\"acor\":[\"all\"],\"acop\":32}",
     {.originator = "Cx", .op = CSE_OP_DISCOVERY},
     1},
    {"retrieve is not discovery",
     "{\"acor\":[\"all\"],\"acop\":2}",
     {.originator = "Cx", .op = CSE_OP_DISCOVERY},
     0},
    {"discovery is not retrieve",
     "{\"acor\":[\"all\"],\"acop\":32}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     0},
    {"acop 0", "{\"acor\":[\"all\"],\"acop\":0}", {.originator = "Cx", .op = CSE_OP_RETRIEVE}, 0},
    {"unknown operation", "{\"acor\":[\"all\"],\"acop\":63}", {.originator = "Cx", .op = 99}, 0},
    /* acor */
    {"exact",
     "{\"acor\":[\"Cabc\"],\"acop\":2}",
     {.originator = "/id-in/Cabc", .op = CSE_OP_RETRIEVE},
     1},
    {"other", "{\"acor\":[\"Cabc\"],\"acop\":2}", {.originator = "Cabd", .op = CSE_OP_RETRIEVE}, 0},
    {"second entry",
     "{\"acor\":[\"Cq\",\"C9*\"],\"acop\":2}",
     {.originator = "C91", .op = CSE_OP_RETRIEVE},
     1},
    {"empty acor", "{\"acor\":[],\"acop\":63}", {.originator = "Cx", .op = CSE_OP_RETRIEVE}, 0},
    /* acaf */
    {"acaf unauthenticated",
     "{\"acor\":[\"all\"],\"acop\":2,\"acaf\":true}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     0},
    {"acaf authenticated",
     "{\"acor\":[\"all\"],\"acop\":2,\"acaf\":true}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE, .authenticated = 1},
     1},
    {"acaf false",
     "{\"acor\":[\"all\"],\"acop\":2,\"acaf\":false}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     1},
    /* acod */
    {"chty allows",
     "{\"acor\":[\"all\"],\"acop\":1,\"acod\":[{\"chty\":[3,4]}]}",
     {.originator = "Cx", .op = CSE_OP_CREATE, .create_ty = 4},
     1},
    {"chty refuses",
     "{\"acor\":[\"all\"],\"acop\":1,\"acod\":[{\"chty\":[3]}]}",
     {.originator = "Cx", .op = CSE_OP_CREATE, .create_ty = 4},
     0},
    {"chty second entry",
     "{\"acor\":[\"all\"],\"acop\":1,\"acod\":[{\"chty\":[3]},{\"chty\":[4]}]}",
     {.originator = "Cx", .op = CSE_OP_CREATE, .create_ty = 4},
     1},
    {"chty not for retrieve",
     "{\"acor\":[\"all\"],\"acop\":3,\"acod\":[{\"chty\":[3]}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     1},
    {"no chty: any child",
     "{\"acor\":[\"all\"],\"acop\":1,\"acod\":[{\"ty\":3}]}",
     {.originator = "Cx", .op = CSE_OP_CREATE, .create_ty = 23, .target_ty = 3},
     1},
    {"ty matches target",
     "{\"acor\":[\"all\"],\"acop\":2,\"acod\":[{\"ty\":3}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE, .target_ty = 3},
     1},
    {"ty other target",
     "{\"acor\":[\"all\"],\"acop\":2,\"acod\":[{\"ty\":2}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE, .target_ty = 3},
     0},
    {"spty never here",
     "{\"acor\":[\"all\"],\"acop\":2,\"acod\":[{\"spty\":\"x\"}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     0},
    /* actw */
    {"in window",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * 8-17 * * 1-5 *\"]}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     1},
    {"out of window",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * 18-23 * * * *\"]}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     0},
    {"second window",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * 1 * * * *\",\"* * 12 * * * *\"]}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     1},
    {"weekend window",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * * * * 0,6 *\"]}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE, .now = FRIDAY_NOON + 86400},
     1},
    /* acip */
    {"ipv4 in",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{" ANY_IP "}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE, .peer = "10.1.1.1"},
     1},
    {"ipv4 out",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{" ANY_IP "}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE, .peer = "192.0.2.1"},
     0},
    {"ipv6 in",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{" ANY_IP "}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE, .peer = "2001:db8::7"},
     1},
    {"v4-mapped in",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{" ANY_IP "}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE, .peer = "::ffff:10.2.3.4"},
     1},
    {"address unknown",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{" ANY_IP "}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     0},
    {"empty acip: no constraint",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"acip\":{}}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     1},
    /* aclr (the environment puts everyone in Paris, FR) */
    {"circle in",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"aclr\":{\"accr\":[48.86,2.35,5000]}}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     1},
    {"circle out",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"aclr\":{\"accr\":[51.5,-0.12,5000]}}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     0},
    {"country in",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"aclr\":{\"accc\":[\"de\",\"fr\"]}}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     1},
    {"country out",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"aclr\":{\"accc\":[\"DE\"]}}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     0},
    {"location unknown",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"aclr\":{\"accc\":[\"FR\"]}}]}",
     {.originator = "Cnowhere", .op = CSE_OP_RETRIEVE},
     0},
    {"second region",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"aclr\":[{\"accc\":[\"DE\"]},{\"accc\":[\"FR\"]}]}"
     "]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     1},
    /* inside a context: AND; across contexts: OR */
    {"window and address",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * 12 * * * *\"]," ANY_IP "}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE, .peer = "10.0.0.1"},
     1},
    {"window but not address",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * 12 * * * *\"]," ANY_IP "}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE, .peer = "192.0.2.1"},
     0},
    {"address but not window",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * 13 * * * *\"]," ANY_IP "}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE, .peer = "10.0.0.1"},
     0},
    {"address but not region",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{" ANY_IP ",\"aclr\":{\"accc\":[\"DE\"]}}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE, .peer = "10.0.0.1"},
     0},
    {"second context",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * 13 * * * *\"]},{" ANY_IP "}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE, .peer = "10.0.0.1"},
     1},
    {"empty context",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{}]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     1},
    {"empty acco",
     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[]}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     1},
    /* rules: the second one permits */
    {"second rule",
     "{\"acor\":[\"Cq\"],\"acop\":2},{\"acor\":[\"Cx\"],\"acop\":2}",
     {.originator = "Cx", .op = CSE_OP_RETRIEVE},
     1},
    {"no rules", "", {.originator = "Cx", .op = CSE_OP_RETRIEVE}, 0},
};

static void test_rules(void **state) {
    (void)state;
    cssf_authz_env_t env = {.locate = locate_paris};
    char out[256];
    for (size_t i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++) {
        const rule_case_t *c = &rule_cases[i];
        int rc = eval(c->rules, &c->req, &env, out, sizeof(out));
        if ((rc == CSE_PLUGIN_OK) != c->want)
            fail_msg("%s: got %s (%s)", c->name, rc == CSE_PLUGIN_OK ? "permit" : "deny", out);
    }
}

static void test_decision_text(void **state) {
    (void)state;
    char out[256];
    req_t r = {.originator = "Cx", .op = CSE_OP_RETRIEVE};
    assert_int_equal(eval("{\"acor\":[\"Cq\"],\"acop\":2},{\"acor\":[\"all\"],\"acop\":2}", &r,
                          NULL, out, sizeof(out)),
                     CSE_PLUGIN_OK);
    assert_string_equal(out, "acp=acp1 rule=1");
    assert_int_equal(eval("{\"acor\":[\"Cq\"],\"acop\":2}", &r, NULL, out, sizeof(out)),
                     CSE_PLUGIN_DENY);
    assert_string_equal(out, "no rule of acp=acp1 matches");
    assert_int_equal(eval("{\"acor\":5,\"acop\":2}", &r, NULL, out, sizeof(out)), CSE_PLUGIN_DENY);
    assert_string_equal(out,
                        "acp acp1 rule 0 malformed (acor missing or not a list): indeterminate");
    /* permit overrides a malformed rule */
    assert_int_equal(
        eval("{\"acor\":5,\"acop\":2},{\"acor\":[\"all\"],\"acop\":2}", &r, NULL, out, sizeof(out)),
        CSE_PLUGIN_OK);
    assert_string_equal(out, "acp=acp1 rule=1");
    /* no room for text: the decision stands */
    assert_int_equal(eval("{\"acor\":[\"all\"],\"acop\":2}", &r, NULL, out, 0), CSE_PLUGIN_OK);
    assert_int_equal(eval("{\"acor\":[],\"acop\":2}", &r, NULL, out, 0), CSE_PLUGIN_DENY);
    /* truncated text stays terminated */
    assert_int_equal(eval("{\"acor\":[],\"acop\":2}", &r, NULL, out, 10), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no rule o");
    assert_int_equal(eval("{\"acor\":[],\"acop\":2}", &r, NULL, out, 22), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no rule of acp=acp1 m");
}

static void test_env_lookups(void **state) {
    (void)state;
    char out[256];
    cssf_authz_env_t env = {.locate = locate_paris};
    req_t r = {.originator = "Cx", .op = CSE_OP_RETRIEVE};
    /* the location is asked once per decision, however many rules need it */
    locate_calls = 0;
    assert_int_equal(
        eval("{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"aclr\":{\"accc\":[\"DE\"]}}]},"
             "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"aclr\":{\"accc\":[\"US\"]}}]}",
             &r, &env, out, sizeof(out)),
        CSE_PLUGIN_DENY);
    assert_int_equal(locate_calls, 1);
    /* and never when no rule needs it */
    locate_calls = 0;
    assert_int_equal(eval("{\"acor\":[\"all\"],\"acop\":2}", &r, &env, out, sizeof(out)),
                     CSE_PLUGIN_OK);
    assert_int_equal(locate_calls, 0);
    /* no locator, or one that knows only the country */
    const char *region =
        "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"aclr\":{\"accc\":[\"DE\"]}}]}";
    const char *circle =
        "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"aclr\":{\"accr\":[0,0,1e9]}}]}";
    assert_int_equal(eval(region, &r, NULL, out, sizeof(out)), CSE_PLUGIN_DENY);
    cssf_authz_env_t cc = {.locate = locate_country_only};
    assert_int_equal(eval(region, &r, &cc, out, sizeof(out)), CSE_PLUGIN_OK);
    assert_int_equal(eval(circle, &r, &cc, out, sizeof(out)), CSE_PLUGIN_DENY);
    assert_int_equal(eval(circle, &r, &env, out, sizeof(out)), CSE_PLUGIN_OK);
    /* the time is computed once and shared by every rule */
    assert_int_equal(
        eval("{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * 1 * * * *\"]}]},"
             "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * 12 * * * *\"]}]}",
             &r, NULL, out, sizeof(out)),
        CSE_PLUGIN_OK);
    /* an environment without a locator */
    cssf_authz_env_t bare = {0};
    assert_int_equal(eval(region, &r, &bare, out, sizeof(out)), CSE_PLUGIN_DENY);
    /* a time the calendar cannot hold matches no window */
    req_t far = {.originator = "Cx", .op = CSE_OP_RETRIEVE, .now = (time_t)INT64_MAX};
    assert_int_equal(
        eval("{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * * * * * *\"]}]}", &far,
             NULL, out, sizeof(out)),
        CSE_PLUGIN_DENY);
}

/* Several ACPs: missing, malformed, not an ACP, pvs. */
static void test_many_acps(void **state) {
    (void)state;
    char out[256], norm[CSSF_ID_MAX];
    cssf_id_normalize("Cx", &ids, norm, sizeof(norm));
    cssf_eval_ctx_t ctx = {.orig_raw = "Cx", .orig_norm = norm, .op_bit = 2, .now = FRIDAY_NOON};
    cssf_res_t *deny_all = acp("a1", "{\"acor\":[],\"acop\":63}");
    cssf_res_t *permit = acp("a2", "{\"acor\":[\"Cx\"],\"acop\":2}");
    const char *bad_json = "{\"ri\":\"a3\",\"ty\":1,\"pv\":[]}";
    cssf_res_t *bad = cssf_res_parse(bad_json, strlen(bad_json), NULL, 1, &ids, NULL, 0);
    const char *cnt_json = "{\"ri\":\"a4\",\"ty\":3}";
    cssf_res_t *cnt = cssf_res_parse(cnt_json, strlen(cnt_json), NULL, 1, &ids, NULL, 0);
    const char *pvs_json =
        "{\"ri\":\"a5\",\"ty\":1,\"pvs\":{\"acr\":[{\"acor\":[\"Cx\"],\"acop\":4}]}}";
    cssf_res_t *self = cssf_res_parse(pvs_json, strlen(pvs_json), NULL, 1, &ids, NULL, 0);

    const cssf_res_t *set1[] = {deny_all, NULL, permit};
    const char *ris1[] = {"a1", "gone", "a2"};
    assert_int_equal(cssf_acp_decide(set1, ris1, 3, 0, &ctx, out, sizeof(out)), CSE_PLUGIN_OK);
    assert_string_equal(out, "acp=a2 rule=0");
    assert_int_equal(cssf_acp_decide(set1, ris1, 2, 0, &ctx, out, sizeof(out)), CSE_PLUGIN_DENY);
    assert_string_equal(out, "acp gone missing: indeterminate");
    const cssf_res_t *set2[] = {deny_all, bad, cnt};
    const char *ris2[] = {"a1", "a3", "a4"};
    assert_int_equal(cssf_acp_decide(set2, ris2, 3, 0, &ctx, out, sizeof(out)), CSE_PLUGIN_DENY);
    assert_string_equal(out, "acp a3 malformed (pv not {\"acr\": [...]}): indeterminate");
    assert_int_equal(cssf_acp_decide(set2 + 2, ris2 + 2, 1, 0, &ctx, out, sizeof(out)),
                     CSE_PLUGIN_DENY);
    assert_string_equal(out, "acpi entry a4 is not an ACP: indeterminate");
    assert_int_equal(cssf_acp_decide(set2, ris2, 1, 0, &ctx, out, sizeof(out)), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no rule of acp=a1 matches");
    const cssf_res_t *set3[] = {deny_all, permit};
    const char *ris3[] = {"a1", "a2"};
    assert_int_equal(cssf_acp_decide(set3, ris3, 2, 0, &ctx, out, 20), CSE_PLUGIN_OK);
    ctx.op_bit = 8;
    assert_int_equal(cssf_acp_decide(set3, ris3, 2, 0, &ctx, out, sizeof(out)), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no rule of acp=a1,a2 matches");
    assert_int_equal(cssf_acp_decide(set3, ris3, 0, 0, &ctx, out, sizeof(out)), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no rule of acp= matches");
    /* pvs: only the self-privileges count */
    ctx.op_bit = 4;
    const cssf_res_t *set4[] = {permit, self};
    const char *ris4[] = {"a2", "a5"};
    assert_int_equal(cssf_acp_decide(set4, ris4, 2, 1, &ctx, out, sizeof(out)), CSE_PLUGIN_OK);
    assert_string_equal(out, "acp=a5 pvs rule=0");
    assert_int_equal(cssf_acp_decide(set4, ris4, 1, 1, &ctx, out, sizeof(out)), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no pvs rule of acp=a2 matches");
    cssf_res_t *badpvs = acp("a6", "");
    const char *bad_pvs_json =
        "{\"ri\":\"a6\",\"ty\":1,\"pvs\":{\"acr\":[{\"acor\":[\"Cx\"],\"acop\":99}]}}";
    cssf_res_release(badpvs);
    badpvs = cssf_res_parse(bad_pvs_json, strlen(bad_pvs_json), NULL, 1, &ids, NULL, 0);
    const cssf_res_t *set5[] = {badpvs};
    const char *ris5[] = {"a6"};
    assert_int_equal(cssf_acp_decide(set5, ris5, 1, 1, &ctx, out, sizeof(out)), CSE_PLUGIN_DENY);
    assert_string_equal(out,
                        "acp a6 pvs rule 0 malformed (acop missing or not 0-63): indeterminate");
    /* the first indeterminate reason is kept */
    const cssf_res_t *set6[] = {badpvs, badpvs};
    const char *ris6[] = {"a6", "a7"};
    assert_int_equal(cssf_acp_decide(set6, ris6, 2, 1, &ctx, out, sizeof(out)), CSE_PLUGIN_DENY);
    assert_string_equal(out,
                        "acp a6 pvs rule 0 malformed (acop missing or not 0-63): indeterminate");
    /* now = 0 means the clock */
    cssf_res_t *always =
        acp("a8", "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"actw\":[\"* * * * * * *\"]}]}");
    cssf_eval_ctx_t live = {.orig_raw = "Cx", .orig_norm = norm, .op_bit = 2};
    const cssf_res_t *set7[] = {always};
    const char *ris7[] = {"a8"};
    assert_int_equal(cssf_acp_decide(set7, ris7, 1, 0, &live, out, sizeof(out)), CSE_PLUGIN_OK);
    cssf_res_release(always);
    /* a list of ACP names longer than the text */
    const char *long_ris[] = {"a1", "a2", "a3"};
    const cssf_res_t *three[] = {deny_all, deny_all, deny_all};
    assert_int_equal(cssf_acp_decide(three, long_ris, 3, 0, &ctx, out, 17), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no rule of acp=a");
    assert_int_equal(cssf_acp_decide(three, long_ris, 3, 0, &ctx, out, 21), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no rule of acp=a1,a2");
    for (cssf_res_t **p = (cssf_res_t *[]){deny_all, permit, bad, cnt, self, badpvs, NULL}; *p; p++)
        cssf_res_release(*p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operations),    cmocka_unit_test(test_rules),
        cmocka_unit_test(test_decision_text), cmocka_unit_test(test_env_lookups),
        cmocka_unit_test(test_many_acps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
