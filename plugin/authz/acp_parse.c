/* Resource and ACP JSON parsing (see acp.h). */
#include "plugin/authz/acp.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* All memory of one parsed resource: freed at once with the resource. */
struct cssf_arena {
    struct chunk *head;
};

struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[];
};

#define CHUNK_MIN 4096

static void *arena_alloc(struct cssf_arena *a, size_t n) {
    const size_t align = sizeof(max_align_t);
    n = (n + align - 1) / align * align;
    struct chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

static void arena_free(struct cssf_arena *a) {
    struct chunk *c = a ? a->head : NULL;
    while (c) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
}

typedef struct parse_ctx {
    struct cssf_arena *arena;
    const cssf_ids_t *ids;
    int oom;
} parse_ctx_t;

static void *alloc_n(parse_ctx_t *c, size_t count, size_t size) {
    void *p = arena_alloc(c->arena, count * size);
    if (!p)
        c->oom = 1;
    return p;
}

static char *dup_str(parse_ctx_t *c, const char *s) {
    size_t n = strlen(s) + 1;
    char *p = alloc_n(c, 1, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* A reason in the arena; "out of memory" marks c->oom and returns a literal. */
static const char *reason(parse_ctx_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *reason(parse_ctx_t *c, const char *fmt, ...) {
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    const char *r = dup_str(c, buf);
    return r ? r : "out of memory";
}

/* Arrays are bounded so a hostile policy cannot make evaluation slow. */
static int bounded_array(json_t *j, size_t max) {
    return json_is_array(j) && json_array_size(j) <= max;
}

static const char *parse_acor(parse_ctx_t *c, json_t *j, cssf_acr_t *r) {
    char norm[CSSF_ID_MAX];
    if (!bounded_array(j, CSSF_ACP_MAX_ITEMS))
        return "acor missing or not a list";
    r->nacor = (int)json_array_size(j);
    r->acor = alloc_n(c, (size_t)r->nacor, sizeof(*r->acor));
    if (!r->acor)
        return NULL;
    for (int i = 0; i < r->nacor; i++) {
        const char *s = json_string_value(json_array_get(j, (size_t)i));
        if (!s || !*s)
            return reason(c, "acor[%d] not a non-empty string", i);
        int kind = cssf_acor_classify(s);
        if (cssf_acor_normalize(s, kind, c->ids, norm, sizeof(norm)) < 0)
            return reason(c, "acor[%d] too long", i);
        const char *raw = dup_str(c, s), *n = dup_str(c, norm);
        if (!raw || !n)
            return NULL;
        cssf_acor_init(&r->acor[i], kind, raw, n);
    }
    return NULL;
}

static const char *parse_actw(parse_ctx_t *c, json_t *j, cssf_acco_t *x) {
    if (!bounded_array(j, CSSF_ACP_MAX_ITEMS))
        return "actw not a list";
    x->nactw = (int)json_array_size(j);
    x->actw = alloc_n(c, (size_t)x->nactw, sizeof(*x->actw));
    for (int i = 0; x->actw && i < x->nactw; i++) {
        const char *s = json_string_value(json_array_get(j, (size_t)i));
        if (!s || cssf_cron_parse(s, &x->actw[i]) < 0)
            return reason(c, "actw[%d] not a valid time window", i);
    }
    return NULL;
}

static const char *parse_ip_list(parse_ctx_t *c, json_t *j, int family, const char *name,
                                 cssf_acco_t *x) {
    if (!j)
        return NULL;
    if (!bounded_array(j, CSSF_ACP_MAX_ITEMS))
        return reason(c, "acip.%s not a list", name);
    for (size_t i = 0; i < json_array_size(j); i++) {
        const char *s = json_string_value(json_array_get(j, i));
        if (!s || cssf_ip_prefix_parse(s, family, &x->acip[x->nacip]) < 0)
            return reason(c, "acip.%s[%zu] not a valid %s", name, i,
                          family == AF_INET ? "IPv4 CIDR" : "IPv6 prefix");
        x->nacip++;
    }
    return NULL;
}

static const char *parse_acip(parse_ctx_t *c, json_t *j, cssf_acco_t *x) {
    const char *key;
    json_t *v;
    if (!json_is_object(j))
        return "acip not an object";
    json_object_foreach(j, key, v) {
        if (strcmp(key, "ipv4") != 0 && strcmp(key, "ipv6") != 0)
            return reason(c, "acip.%.32s unsupported", key);
    }
    json_t *v4 = json_object_get(j, "ipv4"), *v6 = json_object_get(j, "ipv6");
    size_t n = (json_is_array(v4) ? json_array_size(v4) : 0) +
               (json_is_array(v6) ? json_array_size(v6) : 0);
    x->acip = alloc_n(c, n ? n : 1, sizeof(*x->acip));
    if (!x->acip)
        return NULL;
    const char *why = parse_ip_list(c, v4, AF_INET, "ipv4", x);
    return why ? why : parse_ip_list(c, v6, AF_INET6, "ipv6", x);
}

static const char *parse_region(parse_ctx_t *c, json_t *j, cssf_region_t *r) {
    const char *key;
    json_t *v;
    if (!json_is_object(j))
        return "aclr not an object";
    json_object_foreach(j, key, v) {
        if (strcmp(key, "accc") != 0 && strcmp(key, "accr") != 0)
            return reason(c, "aclr.%.32s unsupported", key);
    }
    json_t *cc = json_object_get(j, "accc"), *cir = json_object_get(j, "accr");
    if (cc && cir)
        return "aclr has both accc and accr";
    if (cir) {
        if (!json_is_array(cir) || json_array_size(cir) != 3 ||
            !json_is_number(json_array_get(cir, 0)) || !json_is_number(json_array_get(cir, 1)) ||
            !json_is_number(json_array_get(cir, 2)) ||
            cssf_region_circle(json_number_value(json_array_get(cir, 0)),
                               json_number_value(json_array_get(cir, 1)),
                               json_number_value(json_array_get(cir, 2)), r) < 0)
            return "aclr.accr not [lat, lon, radius]";
        return NULL;
    }
    if (json_is_string(cc)) /* a single code written without the list */
        return cssf_region_add_country(r, json_string_value(cc)) < 0 ? "aclr.accc invalid" : NULL;
    if (!json_is_array(cc) || json_array_size(cc) == 0)
        return "aclr needs accc or accr";
    for (size_t i = 0; i < json_array_size(cc); i++)
        if (cssf_region_add_country(r, json_string_value(json_array_get(cc, i))) < 0)
            return "aclr.accc invalid";
    return NULL;
}

static const char *parse_aclr(parse_ctx_t *c, json_t *j, cssf_acco_t *x) {
    int one = json_is_object(j); /* one region or a list of them */
    if (!one && !bounded_array(j, CSSF_ACP_MAX_ITEMS))
        return "aclr not an object or a list";
    x->naclr = one ? 1 : (int)json_array_size(j);
    x->aclr = alloc_n(c, (size_t)x->naclr, sizeof(*x->aclr));
    for (int i = 0; x->aclr && i < x->naclr; i++) {
        const char *why = parse_region(c, one ? j : json_array_get(j, (size_t)i), &x->aclr[i]);
        if (why)
            return why;
    }
    return NULL;
}

static const char *parse_context(parse_ctx_t *c, json_t *j, cssf_acco_t *x) {
    const char *key, *why = NULL;
    json_t *v;
    if (!json_is_object(j))
        return "acco entry not an object";
    json_object_foreach(j, key, v) {
        if (strcmp(key, "actw") == 0)
            why = parse_actw(c, v, x);
        else if (strcmp(key, "acip") == 0)
            why = parse_acip(c, v, x);
        else if (strcmp(key, "aclr") == 0)
            why = parse_aclr(c, v, x);
        else /* a constraint we cannot check must not be ignored */
            why = reason(c, "acco.%.32s unsupported", key);
        if (why || c->oom)
            return why;
    }
    return NULL;
}

static const char *parse_acco(parse_ctx_t *c, json_t *j, cssf_acr_t *r) {
    if (!bounded_array(j, CSSF_ACP_MAX_ITEMS))
        return "acco not a list";
    r->nacco = (int)json_array_size(j);
    r->acco = alloc_n(c, (size_t)r->nacco, sizeof(*r->acco));
    for (int i = 0; r->acco && i < r->nacco; i++) {
        const char *why = parse_context(c, json_array_get(j, (size_t)i), &r->acco[i]);
        if (why)
            return why;
    }
    return NULL;
}

static int small_int(json_t *j, int lo, int hi, int *out) {
    if (!json_is_integer(j) || json_integer_value(j) < lo || json_integer_value(j) > hi)
        return -1;
    *out = (int)json_integer_value(j);
    return 0;
}

static const char *parse_object_details(parse_ctx_t *c, json_t *j, cssf_acod_t *d) {
    const char *key;
    json_t *v;
    if (!json_is_object(j))
        return "acod entry not an object";
    json_object_foreach(j, key, v) {
        if (strcmp(key, "ty") == 0) {
            if (small_int(v, 1, 65535, &d->ty) < 0)
                return "acod.ty not a resource type";
        } else if (strcmp(key, "spty") == 0) {
            if (!json_is_integer(v) && !json_is_string(v))
                return "acod.spty not a specialization";
            d->has_spty = 1;
        } else if (strcmp(key, "chty") == 0) {
            if (!bounded_array(v, CSSF_ACP_MAX_ITEMS))
                return "acod.chty not a list";
            d->nchty = (int)json_array_size(v);
            d->chty = alloc_n(c, (size_t)d->nchty, sizeof(int));
            for (int i = 0; d->chty && i < d->nchty; i++)
                if (small_int(json_array_get(v, (size_t)i), 1, 65535, &d->chty[i]) < 0)
                    return "acod.chty entry not a resource type";
        } else {
            return reason(c, "acod.%.32s unsupported", key);
        }
    }
    return NULL;
}

static const char *parse_acod(parse_ctx_t *c, json_t *j, cssf_acr_t *r) {
    int one = json_is_object(j);
    if (!one && !bounded_array(j, CSSF_ACP_MAX_ITEMS))
        return "acod not an object or a list";
    r->nacod = one ? 1 : (int)json_array_size(j);
    r->acod = alloc_n(c, (size_t)r->nacod, sizeof(*r->acod));
    for (int i = 0; r->acod && i < r->nacod; i++) {
        const char *why =
            parse_object_details(c, one ? j : json_array_get(j, (size_t)i), &r->acod[i]);
        if (why)
            return why;
    }
    return NULL;
}

static const char *parse_rule(parse_ctx_t *c, json_t *j, cssf_acr_t *r) {
    const char *key, *why = NULL;
    json_t *v;
    int acop;
    if (!json_is_object(j))
        return "rule not an object";
    if (!json_object_get(j, "acor"))
        return "acor missing";
    if (small_int(json_object_get(j, "acop"), 0, 63, &acop) < 0)
        return "acop missing or not 0-63";
    r->acop = (unsigned)acop;
    json_object_foreach(j, key, v) {
        if (strcmp(key, "acor") == 0)
            why = parse_acor(c, v, r);
        else if (strcmp(key, "acop") == 0)
            why = NULL;
        else if (strcmp(key, "acco") == 0)
            why = parse_acco(c, v, r);
        else if (strcmp(key, "acaf") == 0)
            why = json_is_boolean(v) ? NULL : "acaf not a boolean";
        else if (strcmp(key, "acod") == 0)
            why = parse_acod(c, v, r);
        else /* e.g. aca (attribute lists): not enforced here, so not ignored */
            why = reason(c, "%.32s unsupported", key);
        if (why || c->oom)
            return why;
    }
    r->acaf = json_is_true(json_object_get(j, "acaf"));
    return NULL;
}

/* pv or pvs: {"acr": [rule, ...]}; absent or null = no rules. */
static const char *parse_privileges(parse_ctx_t *c, json_t *j, const char *name,
                                    cssf_acr_list_t *list) {
    if (!j || json_is_null(j))
        return NULL;
    json_t *acr = json_is_object(j) ? json_object_get(j, "acr") : NULL;
    if (!json_is_object(j) || (acr && !json_is_array(acr)))
        return reason(c, "%s not {\"acr\": [...]}", name);
    if (!acr)
        return NULL;
    if (json_array_size(acr) > CSSF_ACP_MAX_RULES)
        return reason(c, "%s has more than %d rules", name, CSSF_ACP_MAX_RULES);
    list->n = (int)json_array_size(acr);
    list->r = alloc_n(c, (size_t)list->n, sizeof(*list->r));
    for (int i = 0; list->r && i < list->n; i++) {
        const char *why = parse_rule(c, json_array_get(acr, (size_t)i), &list->r[i]);
        if (c->oom)
            return NULL;
        if (why)
            list->r[i].invalid = why;
    }
    return NULL;
}

static const char *parse_acpi(parse_ctx_t *c, json_t *j, cssf_res_t *res) {
    if (!j)
        return NULL;
    res->has_acpi = 1;
    if (json_is_null(j)) /* written as null: present but empty */
        return NULL;
    if (!bounded_array(j, CSSF_ACP_MAX_ACPI))
        return "acpi not a list";
    res->acpi = alloc_n(c, json_array_size(j) + 1, sizeof(char *));
    for (size_t i = 0; res->acpi && i < json_array_size(j); i++) {
        const char *s = json_string_value(json_array_get(j, i));
        if (!s)
            return "acpi entry not a string";
        res->acpi[res->nacpi++] = dup_str(c, s);
    }
    return NULL;
}

/* The attribute object, inside a {"m2m:xx": {...}} wrapper or bare. */
static json_t *attributes(json_t *root) {
    const char *key;
    json_t *v;
    if (json_object_size(root) == 1) {
        json_object_foreach(root, key, v) {
            if (strncmp(key, "m2m:", 4) == 0 && json_is_object(v))
                return v;
        }
    }
    return root;
}

static const char *str_or(json_t *j, const char *dflt) {
    const char *s = json_string_value(j);
    return s ? s : dflt;
}

cssf_res_t *cssf_res_parse(const char *json, size_t len, const char *ri, uint64_t revision,
                           const cssf_ids_t *ids, char *err, size_t err_cap) {
    json_error_t jerr;
    json_t *root = NULL;
    cssf_res_t *res = NULL;
    struct cssf_arena *arena = calloc(1, sizeof(*arena));
    parse_ctx_t c = {.arena = arena, .ids = ids};
    const char *fail = "out of memory";
    if (!arena)
        goto out;
    fail = "not JSON";
    if (!json || len > CSSF_ACP_MAX_JSON)
        goto out;
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    fail = "not a JSON object";
    if (!json_is_object(root))
        goto out;
    json_t *a = attributes(root);
    fail = "out of memory";
    res = alloc_n(&c, 1, sizeof(*res));
    if (!res)
        goto out;
    res->arena = arena;
    res->revision = revision;
    atomic_init(&res->refs, 1);
    res->ri = dup_str(&c, ri ? ri : str_or(json_object_get(a, "ri"), ""));
    res->pi = dup_str(&c, str_or(json_object_get(a, "pi"), ""));
    json_t *cr = json_object_get(a, "cr");
    res->cr = json_is_string(cr) ? dup_str(&c, json_string_value(cr)) : NULL;
    if (small_int(json_object_get(a, "ty"), 1, 65535, &res->ty) < 0)
        res->ty = 0;
    const char *why = parse_acpi(&c, json_object_get(a, "acpi"), res);
    if (!why && res->ty == 1)
        why = parse_privileges(&c, json_object_get(a, "pv"), "pv", &res->pv);
    if (!why && res->ty == 1)
        why = parse_privileges(&c, json_object_get(a, "pvs"), "pvs", &res->pvs);
    if (c.oom)
        goto out;
    res->invalid = why;
    fail = NULL;
out:
    json_decref(root);
    if (fail) {
        if (err && err_cap)
            snprintf(err, err_cap, "%s", fail);
        arena_free(arena);
        free(arena);
        return NULL;
    }
    return res;
}

void cssf_res_ref(cssf_res_t *res) {
    atomic_fetch_add_explicit(&res->refs, 1, memory_order_relaxed);
}

void cssf_res_release(cssf_res_t *res) {
    if (!res || atomic_fetch_sub_explicit(&res->refs, 1, memory_order_acq_rel) != 1)
        return;
    struct cssf_arena *arena = res->arena;
    arena_free(arena); /* res itself lives in the arena */
    free(arena);
}
