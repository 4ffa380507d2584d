/* The whole decision over an in-memory resource source: plugin/authz/authorize.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/authz/authorize.h"

/* ---- an in-memory store standing in for cse_resource_get ---- */

#define MAX_RES 16
#define CSSF_MANY 65

typedef struct store {
    struct {
        const char *ri;
        uint64_t revision;
        char json[1024];
    } r[MAX_RES];
    int n;
    int gets, serialized; /* calls, and calls that returned JSON */
    int lie_unchanged;    /* answer 1 whatever the revision */
    int no_json;          /* answer 0 without JSON */
    int borrowed;         /* hand out the stored text itself (no release) */
    pthread_mutex_t lock;
} store_t;

static void store_set(store_t *s, const char *ri, uint64_t rev, const char *json) {
    pthread_mutex_lock(&s->lock);
    int i = 0;
    while (i < s->n && strcmp(s->r[i].ri, ri) != 0)
        i++;
    if (i == s->n)
        s->n++;
    s->r[i].ri = ri;
    s->r[i].revision = rev;
    snprintf(s->r[i].json, sizeof(s->r[i].json), "%s", json);
    pthread_mutex_unlock(&s->lock);
}

static void store_del(store_t *s, const char *ri) {
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->r[i].ri, ri) == 0)
            s->r[i] = s->r[--s->n];
}

static int store_get(void *arg, const char *ri, uint64_t known, uint64_t *rev, char **json) {
    store_t *s = arg;
    int rc = -1;
    pthread_mutex_lock(&s->lock);
    s->gets++;
    for (int i = 0; i < s->n; i++) {
        if (strcmp(s->r[i].ri, ri) != 0)
            continue;
        if (s->lie_unchanged || s->r[i].revision == known) {
            rc = 1;
            break;
        }
        *rev = s->r[i].revision;
        if (!s->no_json)
            *json = s->borrowed ? s->r[i].json : strdup(s->r[i].json);
        s->serialized++;
        rc = 0;
        break;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void store_release(void *arg, char *json) {
    (void)arg;
    free(json);
}

/* ---- fixtures ---- */

typedef struct fixture {
    store_t store;
    cssf_authz_t *az;
} fixture_t;

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof(*f));
    pthread_mutex_init(&f->store.lock, NULL);
    cssf_authz_source_t src = {store_get, store_release, &f->store};
    f->az = cssf_authz_create_with(&src, "id-in", "//SP.Example");
    *state = f;
    return f->az ? 0 : -1;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    cssf_authz_destroy(f->az);
    pthread_mutex_destroy(&f->store.lock);
    free(f);
    return 0;
}

#define ACP(ri, pv, pvs)                                                                           \
    "{\"m2m:acp\":{\"ri\":\"" ri "\",\"ty\":1,\"pv\":{\"acr\":[" pv "]},\"pvs\":{\"acr\":[" pvs    \
    "]}}}"

static const char *const acp1_list[] = {"acp1"};
static const char *const acp12_list[] = {"acp1", "acp2"};

/* A target view. */
static cse_resource_view_t view(const char *ri, const char *pi, int ty, const char *cr,
                                const char *const *acpi, int n, int has_acpi) {
    cse_resource_view_t v = {.version = 1,
                             .ri = ri,
                             .rn = ri,
                             .pi = pi,
                             .ty = ty,
                             .creator = cr,
                             .acpi = acpi,
                             .acpi_count = n,
                             .has_acpi = has_acpi,
                             .revision = 1};
    return v;
}

static cse_evt_authorize_t event(const char *orig, int op, const cse_resource_view_t *target,
                                 const cse_resource_view_t *parent) {
    cse_evt_authorize_t ev = {
        .version = 1, .originator = orig, .operation = op, .target = target, .parent = parent};
    return ev;
}

static int decide(fixture_t *f, const cse_evt_authorize_t *ev, char *out, int *rsc) {
    return cssf_authz_decide(f->az, ev, NULL, out, 256, rsc);
}

/* ---- tests ---- */

static void test_basics(void **state) {
    fixture_t *f = *state;
    char out[256];
    int rsc = 0;
    cse_resource_view_t t = view("ae1", "id-in", 2, "Cae1", acp1_list, 1, 1);
    cse_evt_authorize_t ev = event("Cx", CSE_OP_RETRIEVE, &t, NULL);
    ev.is_admin = 1;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    assert_string_equal(out, "admin");
    ev.is_admin = 0;
    assert_int_equal(cssf_authz_decide(NULL, &ev, NULL, out, 256, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no target");
    assert_int_equal(rsc, 4103);
    assert_int_equal(decide(f, NULL, out, &rsc), CSE_PLUGIN_DENY);
    cse_evt_authorize_t none = event("Cx", CSE_OP_RETRIEVE, NULL, NULL);
    assert_int_equal(decide(f, &none, out, &rsc), CSE_PLUGIN_DENY);
    ev.operation = 42;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "unknown operation");
    /* no text buffer, no rsc: still decides */
    ev.operation = CSE_OP_RETRIEVE;
    assert_int_equal(cssf_authz_decide(f->az, &ev, NULL, NULL, 0, NULL), CSE_PLUGIN_DENY);
    char longid[700];
    memset(longid, 'x', sizeof(longid) - 1);
    longid[0] = 'C';
    longid[sizeof(longid) - 1] = '\0';
    ev.originator = longid;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "originator too long");
    ev.originator = NULL; /* anonymous: only "all" could match */
    store_set(&f->store, "acp1", 1, ACP("acp1", "{\"acor\":[\"all\"],\"acop\":2}", ""));
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    /* rsc is optional for every denial */
    ev.operation = CSE_OP_UPDATE;
    ev.updates_acpi = 1;
    assert_int_equal(cssf_authz_decide(f->az, &ev, NULL, out, 256, NULL), CSE_PLUGIN_DENY);
    /* a buffer of no size is not written */
    out[0] = 'z';
    assert_int_equal(cssf_authz_decide(f->az, &ev, NULL, out, 0, NULL), CSE_PLUGIN_DENY);
    assert_int_equal(out[0], 'z');
    cssf_authz_source_t bad = {NULL, NULL, NULL};
    assert_null(cssf_authz_create_with(&bad, "/id-in", ""));
    assert_null(cssf_authz_create_with(NULL, "/id-in", ""));
}

static void test_cache_by_revision(void **state) {
    fixture_t *f = *state;
    char out[256];
    int rsc;
    store_set(&f->store, "acp1", 5, ACP("acp1", "{\"acor\":[\"Cx\"],\"acop\":2}", ""));
    cse_resource_view_t t = view("ae1", "id-in", 2, "Cae1", acp1_list, 1, 1);
    cse_evt_authorize_t ev = event("/id-in/Cx", CSE_OP_RETRIEVE, &t, NULL);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    assert_string_equal(out, "acp=acp1 rule=0");
    assert_int_equal(f->store.serialized, 1);
    for (int i = 0; i < 10; i++)
        assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    assert_int_equal(f->store.gets, 11);
    assert_int_equal(f->store.serialized, 1); /* unchanged: never serialized again */
    /* a new revision is read once */
    store_set(&f->store, "acp1", 6, ACP("acp1", "{\"acor\":[\"Cy\"],\"acop\":2}", ""));
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no rule of acp=acp1 matches");
    assert_int_equal(rsc, 4103);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_int_equal(f->store.serialized, 2);
    /* deleted: indeterminate, and forgotten */
    store_del(&f->store, "acp1");
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "acp acp1 missing: indeterminate");
    /* a store that claims "unchanged" for something never read */
    f->store.lie_unchanged = 1;
    store_set(&f->store, "acp1", 7, ACP("acp1", "{\"acor\":[\"all\"],\"acop\":2}", ""));
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "acp acp1 missing: indeterminate");
    f->store.lie_unchanged = 0;
    /* unreadable JSON is as good as missing */
    store_set(&f->store, "acp1", 8, "{not json");
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "acp acp1 missing: indeterminate");
    /* the second linked ACP permits */
    store_set(&f->store, "acp1", 9, ACP("acp1", "", ""));
    store_set(&f->store, "acp2", 1, ACP("acp2", "{\"acor\":[\"Cx\"],\"acop\":2}", ""));
    t = view("ae1", "id-in", 2, "Cae1", acp12_list, 2, 1);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    assert_string_equal(out, "acp=acp2 rule=0");
    /* a store that says "changed" but sends nothing */
    f->store.no_json = 1;
    store_set(&f->store, "acp2", 2, ACP("acp2", "{\"acor\":[\"Cx\"],\"acop\":2}", ""));
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "acp acp2 missing: indeterminate");
    f->store.no_json = 0;
    /* more linked ACPs than evaluated: the first 64 count */
    const char *many[CSSF_MANY];
    for (int i = 0; i < CSSF_MANY; i++)
        many[i] = i == CSSF_MANY - 1 ? "acp2" : "acp1";
    t = view("ae1", "id-in", 2, "Cae1", many, CSSF_MANY, 1);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    many[63] = "acp2";
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    t = view("ae1", "id-in", 2, "Cae1", acp12_list, 2, 1);
    /* a NULL entry in the view's acpi */
    static const char *const holes[] = {NULL};
    t = view("ae1", "id-in", 2, "Cae1", holes, 1, 1);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "acp  missing: indeterminate");
}

static void test_request_on_acp(void **state) {
    fixture_t *f = *state;
    char out[256];
    int rsc;
    store_set(&f->store, "acp1", 1,
              ACP("acp1", "{\"acor\":[\"all\"],\"acop\":63}", "{\"acor\":[\"Cadm\"],\"acop\":6}"));
    cse_resource_view_t t = view("acp1", "id-in", 1, "Cadm", NULL, 0, 0);
    cse_evt_authorize_t ev = event("Cx", CSE_OP_RETRIEVE, &t, NULL);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY); /* pv does not count */
    assert_string_equal(out, "no pvs rule of acp=acp1 matches");
    ev.originator = "Cadm";
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    assert_string_equal(out, "acp=acp1 pvs rule=0");
    /* the view's revision equals the cached one: no store call */
    int gets = f->store.gets;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    assert_int_equal(f->store.gets, gets);
    /* a view newer than the cached copy: read again */
    store_set(&f->store, "acp1", 2,
              ACP("acp1", "{\"acor\":[\"all\"],\"acop\":63}", "{\"acor\":[\"Cnew\"],\"acop\":6}"));
    t.revision = 2;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    ev.originator = "Cnew";
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    ev.originator = "Cadm";
    store_set(&f->store, "acp1", 3,
              ACP("acp1", "{\"acor\":[\"all\"],\"acop\":63}", "{\"acor\":[\"Cadm\"],\"acop\":6}"));
    t.revision = 3;
    /* a child of an ACP without acpi uses the ACP's pvs */
    cse_resource_view_t sub = view("sub1", "acp1", 23, "Cadm", NULL, 0, 0);
    cse_evt_authorize_t ev2 = event("Cadm", CSE_OP_DELETE, &sub, &t);
    assert_int_equal(decide(f, &ev2, out, &rsc), CSE_PLUGIN_DENY);
    ev2.operation = CSE_OP_UPDATE;
    assert_int_equal(decide(f, &ev2, out, &rsc), CSE_PLUGIN_OK);
    assert_string_equal(out, "acp=acp1 pvs rule=0");
}

static void test_inheritance(void **state) {
    fixture_t *f = *state;
    char out[256];
    int rsc;
    store_set(&f->store, "acp1", 1, ACP("acp1", "{\"acor\":[\"Cx\"],\"acop\":2}", ""));
    /* cin under a container with acpi: the parent view decides */
    cse_resource_view_t cnt = view("cnt1", "ae1", 3, "Cae1", acp1_list, 1, 1);
    cse_resource_view_t cin = view("cin1", "cnt1", 4, "Cae1", NULL, 0, 0);
    cse_evt_authorize_t ev = event("Cx", CSE_OP_RETRIEVE, &cin, &cnt);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    assert_string_equal(out, "acp=acp1 rule=0");
    /* container without acpi: walk up to the AE through the store */
    cnt = view("cnt1", "ae1", 3, "Cae1", NULL, 0, 0);
    store_set(&f->store, "ae1", 1,
              "{\"ri\":\"ae1\",\"pi\":\"id-in\",\"ty\":2,\"acpi\":[\"acp1\"]}");
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    ev.originator = "Cy";
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no rule of acp=acp1 matches");
    /* a parent view that is not the target's parent is not trusted */
    cse_resource_view_t stranger = view("other", "id-in", 3, "Cq", NULL, 0, 1);
    ev = event("Cx", CSE_OP_RETRIEVE, &cin, &stranger);
    store_set(&f->store, "cnt1", 1, "{\"ri\":\"cnt1\",\"pi\":\"ae1\",\"ty\":3}");
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    /* views without names: the parent cannot be the view given */
    cse_resource_view_t anon_parent = view(NULL, NULL, 3, NULL, NULL, 0, 1);
    ev.parent = &anon_parent;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    cse_resource_view_t orphan = view(NULL, NULL, 4, NULL, NULL, 0, 0);
    ev.target = &orphan;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no acpi up to the CSEBase: admin only");
    ev = event("Cx", CSE_OP_RETRIEVE, &cin, &stranger);
    /* a missing ancestor is indeterminate */
    store_del(&f->store, "ae1");
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "parent ae1 missing: indeterminate");
    /* up to a CSEBase without acpi: admin only */
    store_set(&f->store, "ae1", 1, "{\"ri\":\"ae1\",\"pi\":\"id-in\",\"ty\":2}");
    store_set(&f->store, "id-in", 1, "{\"ri\":\"id-in\",\"pi\":\"\",\"ty\":5}");
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no acpi up to the CSEBase: admin only");
    cse_resource_view_t cb = view("id-in", "", 5, NULL, NULL, 0, 0);
    ev = event("Cx", CSE_OP_RETRIEVE, &cb, NULL);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "no acpi up to the CSEBase: admin only");
    /* a loop in the tree ends */
    store_set(&f->store, "l1", 1, "{\"ri\":\"l1\",\"pi\":\"l2\",\"ty\":3}");
    store_set(&f->store, "l2", 1, "{\"ri\":\"l2\",\"pi\":\"l1\",\"ty\":3}");
    cse_resource_view_t loop = view("l0", "l1", 4, NULL, NULL, 0, 0);
    ev = event("Cx", CSE_OP_RETRIEVE, &loop, NULL);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "resource tree too deep: indeterminate");
}

/* An AE without acpi owns its subtree: the AE itself may act on it, others
 * fall through to the inherited policy. An AE with an acpi is governed by it. */
static void test_owner_ae(void **state) {
    fixture_t *f = *state;
    char out[256];
    int rsc;
    store_set(&f->store, "Cae1", 1, "{\"ri\":\"Cae1\",\"pi\":\"id-in\",\"ty\":2}");
    store_set(&f->store, "id-in", 1, "{\"ri\":\"id-in\",\"pi\":\"\",\"ty\":5,\"acpi\":[]}");
    cse_resource_view_t cnt = view("cnt1", "Cae1", 3, "Cae1", NULL, 0, 0);
    cse_resource_view_t cin = view("cin1", "cnt1", 4, "Cae1", NULL, 0, 0);
    cse_evt_authorize_t ev = event("Cae1", CSE_OP_RETRIEVE, &cin, &cnt);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    assert_string_equal(out, "owner AE (no acpi)");
    ev.originator = "/id-in/Cae1"; /* SP-relative form of the same AE-ID */
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    ev.originator = "Cae2";
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "acpi empty: creator only");
    /* CREATE under its own AE (the target is the AE) */
    cse_resource_view_t ae = view("Cae1", "id-in", 2, NULL, NULL, 0, 0);
    ev = event("Cae1", CSE_OP_CREATE, &ae, NULL);
    ev.create_ty = 3;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    /* once the AE links an ACP, that ACP decides, also for the AE itself */
    store_set(&f->store, "acp1", 1, ACP("acp1", "{\"acor\":[\"Cx\"],\"acop\":2}", ""));
    cse_resource_view_t ae_acp = view("Cae1", "id-in", 2, NULL, acp1_list, 1, 1);
    ev = event("Cae1", CSE_OP_DELETE, &ae_acp, NULL);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
}

static void test_creator_only(void **state) {
    fixture_t *f = *state;
    char out[256];
    int rsc;
    cse_resource_view_t ae = view("ae1", "id-in", 2, "Cowner", NULL, 0, 1);
    cse_evt_authorize_t ev = event("//sp.example/id-in/Cowner", CSE_OP_DELETE, &ae, NULL);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    assert_string_equal(out, "creator");
    ev.originator = "Cother";
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "acpi empty: creator only");
    char longcr[700];
    memset(longcr, 'x', sizeof(longcr) - 1);
    longcr[0] = 'C';
    longcr[sizeof(longcr) - 1] = '\0';
    ae.creator = longcr;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    ae.creator = NULL;
    ev.originator = "Cowner";
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    /* an AE without cr is its own creator */
    cse_resource_view_t self = view("Cself", "id-in", 2, NULL, NULL, 0, 1);
    ev = event("/id-in/Cself", CSE_OP_RETRIEVE, &self, NULL);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    assert_string_equal(out, "creator");
    ev.originator = "Cother";
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    cse_resource_view_t cnt0 = view("cnt0", "ae1", 3, NULL, NULL, 0, 1); /* no cr, not an AE */
    ev = event("cnt0", CSE_OP_RETRIEVE, &cnt0, NULL);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    /* an inherited empty acpi: the creator of the resource that has it */
    cse_resource_view_t cnt = view("cnt1", "ae1", 3, "Cowner", NULL, 0, 1);
    cse_resource_view_t cin = view("cin1", "cnt1", 4, "Cwriter", NULL, 0, 0);
    ev = event("Cowner", CSE_OP_RETRIEVE, &cin, &cnt);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    ev.originator = "Cwriter";
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
}

static void test_create(void **state) {
    fixture_t *f = *state;
    char out[256];
    int rsc;
    store_set(&f->store, "acp1", 1,
              ACP("acp1", "{\"acor\":[\"C*\"],\"acop\":1,\"acod\":[{\"chty\":[3,4]}]}", ""));
    /* the target of a CREATE is the parent */
    cse_resource_view_t ae = view("ae1", "id-in", 2, "Cae1", acp1_list, 1, 1);
    cse_evt_authorize_t ev = event("Cx", CSE_OP_CREATE, &ae, NULL);
    ev.create_ty = 3;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    ev.create_ty = 23;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    ev.create_ty = 4;
    ev.originator = "/id-mn/Cx"; /* an AE of another CSE */
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
}

static void test_acpi_update(void **state) {
    fixture_t *f = *state;
    char out[256];
    int rsc = 0;
    store_set(&f->store, "acp1", 1,
              ACP("acp1", "{\"acor\":[\"Cx\"],\"acop\":63}", "{\"acor\":[\"Cboss\"],\"acop\":4}"));
    cse_resource_view_t ae = view("ae1", "id-in", 2, "Cae1", acp1_list, 1, 1);
    cse_evt_authorize_t ev = event("Cx", CSE_OP_UPDATE, &ae, NULL);
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK); /* plain update: pv */
    ev.updates_acpi = 1;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY);
    assert_string_equal(out, "acpi must be the only attribute of its UPDATE");
    assert_int_equal(rsc, 4000);
    ev.updates_only_acpi = 1;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_DENY); /* pv does not count */
    assert_string_equal(out, "no pvs rule of acp=acp1 matches");
    assert_int_equal(rsc, 4103);
    ev.originator = "Cboss";
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    assert_string_equal(out, "acp=acp1 pvs rule=0");
    /* empty acpi: the creator may set it */
    cse_resource_view_t mine = view("ae2", "id-in", 2, "Cae2", NULL, 0, 1);
    ev.target = &mine;
    ev.originator = "Cae2";
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
    assert_string_equal(out, "creator");
    /* only UPDATE carries an acpi change */
    ev.operation = CSE_OP_RETRIEVE;
    ev.updates_only_acpi = 0;
    assert_int_equal(decide(f, &ev, out, &rsc), CSE_PLUGIN_OK);
}

static void test_context_from_event(void **state) {
    fixture_t *f = *state;
    char out[256];
    int rsc;
    store_set(&f->store, "acp1", 1,
              ACP("acp1",
                  "{\"acor\":[\"all\"],\"acop\":2,\"acaf\":true,\"acco\":[{\"acip\":{\"ipv4\":"
                  "[\"127.0.0.0/8\"]},\"actw\":[\"* * 12 * * * *\"]}]}",
                  ""));
    cse_resource_view_t ae = view("ae1", "id-in", 2, "Cae1", acp1_list, 1, 1);
    cse_security_context_t sec = {.version = 1};
    struct sockaddr_in *in = (struct sockaddr_in *)&sec.peer;
    in->sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &in->sin_addr);
    sec.peer_len = sizeof(*in);
    cse_evt_authorize_t ev = event("Cx", CSE_OP_RETRIEVE, &ae, NULL);
    ev.sec = &sec;
    ev.authenticated = 1;
    cssf_authz_env_t env = {.now = 1710506096}; /* 12:34:56 UTC */
    assert_int_equal(cssf_authz_decide(f->az, &ev, &env, out, 256, &rsc), CSE_PLUGIN_OK);
    env.now += 3600;
    assert_int_equal(cssf_authz_decide(f->az, &ev, &env, out, 256, &rsc), CSE_PLUGIN_DENY);
    env.now -= 3600;
    ev.authenticated = 0;
    assert_int_equal(cssf_authz_decide(f->az, &ev, &env, out, 256, &rsc), CSE_PLUGIN_DENY);
    ev.authenticated = 1;
    inet_pton(AF_INET, "192.0.2.1", &in->sin_addr);
    assert_int_equal(cssf_authz_decide(f->az, &ev, &env, out, 256, &rsc), CSE_PLUGIN_DENY);
    sec.peer_len = 0; /* unknown address */
    inet_pton(AF_INET, "127.0.0.1", &in->sin_addr);
    assert_int_equal(cssf_authz_decide(f->az, &ev, &env, out, 256, &rsc), CSE_PLUGIN_DENY);
}

typedef struct race {
    fixture_t *f;
    int stop;
    long permits;
} race_t;

static void *decider(void *arg) {
    race_t *r = arg;
    char out[256];
    cse_resource_view_t ae = view("ae1", "id-in", 2, "Cae1", acp1_list, 1, 1);
    cse_evt_authorize_t ev = event("Cx", CSE_OP_RETRIEVE, &ae, NULL);
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
        if (cssf_authz_decide(r->f->az, &ev, NULL, out, sizeof(out), NULL) == CSE_PLUGIN_OK)
            __atomic_add_fetch(&r->permits, 1, __ATOMIC_RELAXED);
    return NULL;
}

/* Deciders run while the ACP keeps changing: no crash, and both outcomes seen. */
static void test_concurrent_updates(void **state) {
    fixture_t *f = *state;
    race_t r = {.f = f};
    pthread_t t[2];
    store_set(&f->store, "acp1", 1, ACP("acp1", "{\"acor\":[\"Cx\"],\"acop\":2}", ""));
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, decider, &r);
    for (uint64_t rev = 2; rev < 400; rev++) {
        store_set(&f->store, "acp1", rev,
                  rev % 2 ? ACP("acp1", "{\"acor\":[\"Cx\"],\"acop\":2}", "")
                          : ACP("acp1", "{\"acor\":[\"Cy\"],\"acop\":2}", ""));
        char out[256];
        cse_resource_view_t ae = view("ae1", "id-in", 2, "Cae1", acp1_list, 1, 1);
        cse_evt_authorize_t ev = event("Cx", CSE_OP_RETRIEVE, &ae, NULL);
        int want = rev % 2 ? CSE_PLUGIN_OK : CSE_PLUGIN_DENY;
        assert_int_equal(cssf_authz_decide(f->az, &ev, NULL, out, sizeof(out), NULL), want);
    }
    __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
}

/* A source that lends its text (no release), and odd identities. */
static void test_borrowed_source(void **state) {
    (void)state;
    store_t s = {.borrowed = 1};
    pthread_mutex_init(&s.lock, NULL);
    cssf_authz_source_t src = {store_get, NULL, &s};
    char sp[400];
    memset(sp, 'a', sizeof(sp) - 1);
    sp[sizeof(sp) - 1] = '\0';
    cssf_authz_t *az = cssf_authz_create_with(&src, NULL, sp); /* an SP-ID too long is cut */
    assert_non_null(az);
    store_set(&s, "acp1", 1, ACP("acp1", "{\"acor\":[\"Cx\"],\"acop\":2}", ""));
    cse_resource_view_t ae = view("ae1", "id-in", 2, "Cae1", acp1_list, 1, 1);
    cse_evt_authorize_t ev = event("Cx", CSE_OP_RETRIEVE, &ae, NULL);
    char out[64];
    assert_int_equal(cssf_authz_decide(az, &ev, NULL, out, sizeof(out), NULL), CSE_PLUGIN_OK);
    cssf_authz_destroy(az);
    pthread_mutex_destroy(&s.lock);
}

/* The host-backed constructor works without a running core (admin only). */
static void test_host_source(void **state) {
    (void)state;
    cssf_authz_t *az = cssf_authz_create();
    assert_non_null(az);
    cse_resource_view_t ae = view("ae1", "id-in", 2, "Cae1", NULL, 0, 1);
    cse_evt_authorize_t ev = event("Cx", CSE_OP_RETRIEVE, &ae, NULL);
    ev.is_admin = 1;
    char out[64];
    assert_int_equal(cssf_authz_decide(az, &ev, NULL, out, sizeof(out), NULL), CSE_PLUGIN_OK);
    /* no core running: no resource exists, everyone else is refused */
    ev.is_admin = 0;
    ae = view("ae1", "id-in", 2, "Cae1", acp1_list, 1, 1);
    assert_int_equal(cssf_authz_decide(az, &ev, NULL, out, sizeof(out), NULL), CSE_PLUGIN_DENY);
    assert_string_equal(out, "acp acp1 missing: indeterminate");
    cssf_authz_destroy(az);
    cssf_authz_destroy(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_basics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_by_revision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_on_acp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inheritance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_ae, setup, teardown),
        cmocka_unit_test_setup_teardown(test_creator_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acpi_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_context_from_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_updates, setup, teardown),
        cmocka_unit_test(test_borrowed_source),
        cmocka_unit_test(test_host_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
