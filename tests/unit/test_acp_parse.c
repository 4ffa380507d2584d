/* Resource and ACP JSON parsing: table tests for plugin/authz/acp_parse.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "plugin/authz/acp.h"

static const cssf_ids_t ids = {"/id-in", "sp.example"};

static cssf_res_t *parse(const char *json) {
    char err[64];
    return cssf_res_parse(json, strlen(json), NULL, 7, &ids, err, sizeof(err));
}

static void test_full_acp(void **state) {
    (void)state;
    const char *json =
        "{\"m2m:acp\":{\"ri\":\"acp1\",\"pi\":\"id-in\",\"ty\":1,\"cr\":\"Cowner\","
        "\"pv\":{\"acr\":[{\"acor\":[\"all\",\"Cabc\",\"sp.example\",\"op@sp.example\"],"
        "\"acop\":63,\"acaf\":true,"
        "\"acco\":[{\"actw\":[\"* * 8-17 * * 1-5 *\"],"
        "\"acip\":{\"ipv4\":[\"10.0.0.0/8\"],\"ipv6\":[\"2001:db8::/32\"]},"
        "\"aclr\":{\"accr\":[48.85,2.35,1000]}},{\"aclr\":[{\"accc\":[\"fr\",\"DE\"]},"
        "{\"accc\":\"us\"}]}],"
        "\"acod\":[{\"ty\":3,\"chty\":[4,23]},{\"spty\":\"org.x\"}]}]},"
        "\"pvs\":{\"acr\":[{\"acor\":[\"Cowner\"],\"acop\":63,\"acod\":{\"chty\":[4]}}]}}}";
    cssf_res_t *r = parse(json);
    assert_non_null(r);
    assert_string_equal(r->ri, "acp1");
    assert_string_equal(r->pi, "id-in");
    assert_string_equal(r->cr, "Cowner");
    assert_int_equal(r->ty, 1);
    assert_int_equal(r->revision, 7);
    assert_null(r->invalid);
    assert_int_equal(r->has_acpi, 0);
    assert_int_equal(r->pv.n, 1);
    const cssf_acr_t *a = &r->pv.r[0];
    assert_null(a->invalid);
    assert_int_equal(a->nacor, 4);
    assert_int_equal(a->acor[0].kind, CSSF_ACOR_ALL);
    assert_int_equal(a->acor[1].kind, CSSF_ACOR_ID);
    assert_string_equal(a->acor[1].norm, "//sp.example/id-in/Cabc");
    assert_string_equal(a->acor[1].raw, "Cabc");
    assert_int_equal(a->acor[2].kind, CSSF_ACOR_DOMAIN);
    assert_int_equal(a->acor[3].kind, CSSF_ACOR_ROLE);
    assert_int_equal(a->acop, 63);
    assert_int_equal(a->acaf, 1);
    assert_int_equal(a->nacco, 2);
    assert_int_equal(a->acco[0].nactw, 1);
    assert_int_equal(a->acco[0].nacip, 2);
    assert_int_equal(a->acco[0].acip[0].family, AF_INET);
    assert_int_equal(a->acco[0].acip[1].family, AF_INET6);
    assert_int_equal(a->acco[0].naclr, 1);
    assert_int_equal(a->acco[0].aclr[0].kind, CSSF_REGION_CIRCLE);
    assert_int_equal(a->acco[1].naclr, 2);
    assert_int_equal(a->acco[1].aclr[0].ncc, 2);
    assert_string_equal(a->acco[1].aclr[0].cc[0], "FR");
    assert_string_equal(a->acco[1].aclr[1].cc[0], "US");
    assert_int_equal(a->nacod, 2);
    assert_int_equal(a->acod[0].ty, 3);
    assert_int_equal(a->acod[0].nchty, 2);
    assert_int_equal(a->acod[0].chty[1], 23);
    assert_int_equal(a->acod[1].has_spty, 1);
    assert_int_equal(r->pvs.n, 1);
    assert_int_equal(r->pvs.r[0].nacod, 1);
    assert_int_equal(r->pvs.r[0].acaf, 0);
    cssf_res_ref(r);
    cssf_res_release(r);
    cssf_res_release(r);
    cssf_res_release(NULL);
}

static void test_plain_resources(void **state) {
    (void)state;
    cssf_res_t *r = parse("{\"ri\":\"cnt1\",\"pi\":\"ae1\",\"ty\":3,\"acpi\":[\"a\",\"b\"]}");
    assert_non_null(r);
    assert_int_equal(r->ty, 3);
    assert_int_equal(r->has_acpi, 1);
    assert_int_equal(r->nacpi, 2);
    assert_string_equal(r->acpi[1], "b");
    assert_null(r->cr);
    cssf_res_release(r);
    r = parse("{\"m2m:cin\":{\"ri\":\"cin1\",\"pi\":\"cnt1\",\"ty\":4}}");
    assert_int_equal(r->has_acpi, 0);
    assert_string_equal(r->pi, "cnt1");
    cssf_res_release(r);
    r = parse("{\"ri\":\"ae1\",\"ty\":2,\"acpi\":[]}"); /* present, empty */
    assert_int_equal(r->has_acpi, 1);
    assert_int_equal(r->nacpi, 0);
    assert_string_equal(r->pi, "");
    cssf_res_release(r);
    r = parse("{\"ri\":\"ae1\",\"ty\":2,\"acpi\":null}");
    assert_int_equal(r->has_acpi, 1);
    cssf_res_release(r);
    r = parse("{\"ty\":2,\"cr\":null}"); /* cr null: no creator */
    assert_null(r->cr);
    cssf_res_release(r);
    r = parse("{\"ty\":2.0}"); /* not an integer type: unknown */
    assert_int_equal(r->ty, 0);
    assert_string_equal(r->ri, "");
    cssf_res_release(r);
    /* the key given by the caller names the entry */
    r = cssf_res_parse("{\"ri\":\"x\"}", 10, "key", 1, &ids, NULL, 0);
    assert_string_equal(r->ri, "key");
    cssf_res_release(r);
    /* two keys: not a wrapper */
    r = parse("{\"m2m:acp\":{\"ty\":1},\"ty\":3}");
    assert_int_equal(r->ty, 3);
    cssf_res_release(r);
    r = parse("{\"m2m:acp\":5}"); /* a one-key object that is not a wrapper */
    assert_int_equal(r->ty, 0);
    cssf_res_release(r);
    r = parse("{\"x\":{\"ty\":3}}");
    assert_int_equal(r->ty, 0);
    cssf_res_release(r);
}

static void test_unreadable(void **state) {
    (void)state;
    static const char *const bad[] = {
        "",    "[]", "\"acp\"", "{", "{\"ri\":\"a\",\"ri\":\"b\"}", /* duplicate key */
        "nul",
    };
    char err[64] = "";
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(cssf_res_parse(bad[i], strlen(bad[i]), NULL, 1, &ids, err, sizeof(err)));
        assert_true(strcmp(err, "not a JSON object") == 0 || strcmp(err, "not JSON") == 0);
    }
    assert_null(cssf_res_parse(NULL, 0, NULL, 1, &ids, err, sizeof(err)));
    assert_string_equal(err, "not JSON");
    assert_null(cssf_res_parse("{}", CSSF_ACP_MAX_JSON + 1, NULL, 1, &ids, NULL, 0));
    err[0] = 'z'; /* a reason buffer of no size is left alone */
    assert_null(cssf_res_parse("[]", 2, NULL, 1, &ids, err, 0));
    assert_int_equal(err[0], 'z');
}

/* ACP-level problems: the whole ACP is indeterminate. */
static void test_acp_invalid(void **state) {
    (void)state;
    static const struct {
        const char *json, *why;
    } cases[] = {
        {"{\"ty\":1,\"pv\":[]}", "pv not {\"acr\": [...]}"},
        {"{\"ty\":1,\"pv\":{\"acr\":{}}}", "pv not {\"acr\": [...]}"},
        {"{\"ty\":1,\"pvs\":5}", "pvs not {\"acr\": [...]}"},
        {"{\"ty\":1,\"acpi\":5}", "acpi not a list"},
        {"{\"ty\":2,\"acpi\":[5]}", "acpi entry not a string"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cssf_res_t *r = parse(cases[i].json);
        assert_non_null(r);
        if (!r->invalid || strcmp(r->invalid, cases[i].why) != 0)
            fail_msg("%s: got \"%s\" want \"%s\"", cases[i].json, r->invalid ? r->invalid : "",
                     cases[i].why);
        cssf_res_release(r);
    }
    /* no pv / no acr / pv null: valid, no rules */
    cssf_res_t *r = parse("{\"ty\":1,\"pv\":null}");
    assert_null(r->invalid);
    assert_int_equal(r->pv.n, 0);
    cssf_res_release(r);
    r = parse("{\"ty\":1,\"pv\":{}}");
    assert_null(r->invalid);
    assert_int_equal(r->pv.n, 0);
    assert_int_equal(r->pvs.n, 0);
    cssf_res_release(r);
    /* more rules than allowed */
    size_t cap = 16 + (CSSF_ACP_MAX_RULES + 1) * 3 + 8;
    char *big = malloc(cap);
    strcpy(big, "{\"ty\":1,\"pv\":{\"acr\":[");
    for (int i = 0; i <= CSSF_ACP_MAX_RULES; i++)
        strcat(big, i ? ",{}" : "{}");
    strcat(big, "]}}");
    r = parse(big);
    assert_string_equal(r->invalid, "pv has more than 1024 rules");
    cssf_res_release(r);
    free(big);
    /* more acpi entries than allowed */
    char acpi[16 + (CSSF_ACP_MAX_ACPI + 1) * 4];
    strcpy(acpi, "{\"acpi\":[");
    for (int i = 0; i <= CSSF_ACP_MAX_ACPI; i++)
        strcat(acpi, i ? ",\"a\"" : "\"a\"");
    strcat(acpi, "]}");
    r = parse(acpi);
    assert_string_equal(r->invalid, "acpi not a list");
    cssf_res_release(r);
}

/* Rule-level problems: only that rule is indeterminate. */
static void test_rule_invalid(void **state) {
    (void)state;
    static const struct {
        const char *rule, *why;
    } cases[] = {
        {"5", "rule not an object"},
        {"{\"acop\":1}", "acor missing"},
        {"{\"acor\":[\"all\"]}", "acop missing or not 0-63"},
        {"{\"acor\":[\"all\"],\"acop\":64}", "acop missing or not 0-63"},
        {"{\"acor\":[\"all\"],\"acop\":-1}", "acop missing or not 0-63"},
        {"{\"acor\":[\"all\"],\"acop\":\"1\"}", "acop missing or not 0-63"},
        {"{\"acor\":\"all\",\"acop\":1}", "acor missing or not a list"},
        {"{\"acor\":[1],\"acop\":1}", "acor[0] not a non-empty string"},
        {"{\"acor\":[\"all\",\"\"],\"acop\":1}", "acor[1] not a non-empty string"},
        {"{\"acor\":[],\"acop\":1,\"acaf\":1}", "acaf not a boolean"},
        {"{\"acor\":[],\"acop\":1,\"aca\":[\"lbl\"]}", "aca unsupported"},
        {"{\"acor\":[],\"acop\":1,\"acco\":{}}", "acco not a list"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[1]}", "acco entry not an object"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"acui\":[]}]}", "acco.acui unsupported"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"actw\":\"* * * * * * *\"}]}", "actw not a list"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"actw\":[\"* * * * * *\"]}]}",
         "actw[0] not a valid time window"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"actw\":[5]}]}", "actw[0] not a valid time window"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"acip\":[]}]}", "acip not an object"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"acip\":{\"ipv5\":[]}}]}", "acip.ipv5 unsupported"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"acip\":{\"ipv4\":\"10.0.0.1\"}}]}",
         "acip.ipv4 not a list"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"acip\":{\"ipv4\":[\"::1\"]}}]}",
         "acip.ipv4[0] not a valid IPv4 CIDR"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"acip\":{\"ipv6\":[\"::1\",7]}}]}",
         "acip.ipv6[1] not a valid IPv6 prefix"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":5}]}", "aclr not an object or a list"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":[5]}]}", "aclr not an object"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":{\"x\":1}}]}", "aclr.x unsupported"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":{\"accc\":[\"FR\"],\"accr\":[0,0,1]}}]}",
         "aclr has both accc and accr"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":{}}]}", "aclr needs accc or accr"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":{\"accc\":[]}}]}", "aclr needs accc or accr"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":{\"accc\":[\"FRA\"]}}]}",
         "aclr.accc invalid"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":{\"accc\":\"F\"}}]}", "aclr.accc invalid"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":{\"accr\":[0,0]}}]}",
         "aclr.accr not [lat, lon, radius]"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":{\"accr\":5}}]}",
         "aclr.accr not [lat, lon, radius]"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":{\"accr\":[\"0\",0,1]}}]}",
         "aclr.accr not [lat, lon, radius]"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":{\"accr\":[0,\"0\",1]}}]}",
         "aclr.accr not [lat, lon, radius]"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":{\"accr\":[0,0,\"1\"]}}]}",
         "aclr.accr not [lat, lon, radius]"},
        {"{\"acor\":[],\"acop\":1,\"acco\":[{\"aclr\":{\"accr\":[95,0,1]}}]}",
         "aclr.accr not [lat, lon, radius]"},
        {"{\"acor\":[],\"acop\":1,\"acod\":5}", "acod not an object or a list"},
        {"{\"acor\":[],\"acop\":1,\"acod\":[5]}", "acod entry not an object"},
        {"{\"acor\":[],\"acop\":1,\"acod\":[{\"ty\":0}]}", "acod.ty not a resource type"},
        {"{\"acor\":[],\"acop\":1,\"acod\":[{\"spty\":[]}]}", "acod.spty not a specialization"},
        {"{\"acor\":[],\"acop\":1,\"acod\":[{\"chty\":4}]}", "acod.chty not a list"},
        {"{\"acor\":[],\"acop\":1,\"acod\":[{\"chty\":[4,\"x\"]}]}",
         "acod.chty entry not a resource type"},
        {"{\"acor\":[],\"acop\":1,\"acod\":[{\"chty\":[70000]}]}",
         "acod.chty entry not a resource type"},
        {"{\"acor\":[],\"acop\":1,\"acod\":[{\"attr\":1}]}", "acod.attr unsupported"},
    };
    char json[1024];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(json, sizeof(json),
                 "{\"ty\":1,\"pv\":{\"acr\":[%s,{\"acor\":[\"all\"],\"acop\":2}]}}", cases[i].rule);
        cssf_res_t *r = parse(json);
        assert_non_null(r);
        assert_null(r->invalid);
        assert_int_equal(r->pv.n, 2);
        const char *why = r->pv.r[0].invalid;
        if (!why || strcmp(why, cases[i].why) != 0)
            fail_msg("%s: got \"%s\" want \"%s\"", cases[i].rule, why ? why : "(valid)",
                     cases[i].why);
        assert_null(r->pv.r[1].invalid); /* the next rule is unaffected */
        cssf_res_release(r);
    }
}

static void test_limits(void **state) {
    (void)state;
    /* an acor entry too long to normalize */
    char json[2048];
    char id[CSSF_ID_MAX + 8];
    memset(id, 'x', sizeof(id) - 1);
    id[0] = 'C';
    id[sizeof(id) - 1] = '\0';
    snprintf(json, sizeof(json), "{\"ty\":1,\"pv\":{\"acr\":[{\"acor\":[\"%s\"],\"acop\":1}]}}",
             id);
    cssf_res_t *r = parse(json);
    assert_string_equal(r->pv.r[0].invalid, "acor[0] too long");
    cssf_res_release(r);
    /* more list items than allowed */
    char *big = malloc(64 + (CSSF_ACP_MAX_ITEMS + 1) * 6);
    strcpy(big, "{\"ty\":1,\"pv\":{\"acr\":[{\"acop\":1,\"acor\":[");
    for (int i = 0; i <= CSSF_ACP_MAX_ITEMS; i++)
        strcat(big, i ? ",\"all\"" : "\"all\"");
    strcat(big, "]}]}}");
    r = parse(big);
    assert_string_equal(r->pv.r[0].invalid, "acor missing or not a list");
    cssf_res_release(r);
    free(big);
    /* a large but valid policy spans several arena chunks */
    big = malloc(64 + 200 * 64);
    strcpy(big, "{\"ty\":1,\"pv\":{\"acr\":[");
    for (int i = 0; i < 200; i++)
        strcat(big,
               i ? ",{\"acor\":[\"Cabc\"],\"acop\":3,\"acco\":[{\"actw\":[\"* * * * * * *\"]}]}"
                 : "{\"acor\":[\"Cabc\"],\"acop\":3,\"acco\":[{\"actw\":[\"* * * * * * *\"]}]}");
    strcat(big, "]}}");
    r = parse(big);
    assert_int_equal(r->pv.n, 200);
    for (int i = 0; i < 200; i++)
        assert_null(r->pv.r[i].invalid);
    cssf_res_release(r);
    free(big);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_acp),     cmocka_unit_test(test_plain_resources),
        cmocka_unit_test(test_unreadable),   cmocka_unit_test(test_acp_invalid),
        cmocka_unit_test(test_rule_invalid), cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
