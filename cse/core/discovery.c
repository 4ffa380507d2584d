#include "cse/core/discovery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/core/clock.h"

static int parse_time(const char *text, int64_t *out, const char *name, char *err, size_t cap) {
    *out = 0;
    if (!text[0])
        return 0;
    if (cse_clock_parse(text, out) != 0) {
        snprintf(err, cap, "%s is not a timestamp", name);
        return -1;
    }
    return 0;
}

int cse_filter_from_query(cse_filter_t *f, const cse_query_t *q, char *err, size_t cap) {
    memset(f, 0, sizeof(*f));
    f->ty = q->ty;
    f->nty = q->nty;
    f->lbl = q->lbl;
    f->nlbl = q->nlbl;
    f->sts = q->sts;
    f->stb = q->stb;
    f->lvl = q->lvl;
    if (q->lvl == 0 || q->lvl < -1) {
        snprintf(err, cap, "lvl must be a positive integer");
        return -1;
    }
    if (parse_time(q->crb, &f->crb, "crb", err, cap) ||
        parse_time(q->cra, &f->cra, "cra", err, cap) || parse_time(q->ms, &f->ms, "ms", err, cap) ||
        parse_time(q->us, &f->us, "us", err, cap) || parse_time(q->exb, &f->exb, "exb", err, cap) ||
        parse_time(q->exa, &f->exa, "exa", err, cap))
        return -1;
    return 0;
}

static int has_label(const cse_res_t *r, char *const *lbl, int nlbl) {
    json_t *attrs = cse_res_attrs((cse_res_t *)r);
    json_t *labels = json_object_get(attrs, "lbl");
    size_t i;
    json_t *e;
    int found = 0;
    json_array_foreach(labels, i, e) {
        const char *s = json_string_value(e);
        for (int k = 0; s && k < nlbl && !found; k++)
            found = strcmp(s, lbl[k]) == 0;
    }
    json_decref(attrs);
    return found;
}

int cse_filter_match(const cse_filter_t *f, const cse_res_t *r) {
    if (f->nty > 0) {
        int any = 0;
        for (int i = 0; i < f->nty && !any; i++)
            any = f->ty[i] == r->ty;
        if (!any)
            return 0;
    }
    if (f->nlbl > 0 && !has_label(r, f->lbl, f->nlbl))
        return 0;
    if ((f->crb && !(r->ct_us < f->crb)) || (f->cra && !(r->ct_us > f->cra)))
        return 0;
    if ((f->ms && !(r->lt_us > f->ms)) || (f->us && !(r->lt_us < f->us)))
        return 0;
    if ((f->exb && !(r->et_us && r->et_us < f->exb)) ||
        (f->exa && !(!r->et_us || r->et_us > f->exa)))
        return 0;
    int has_st = r->has_st;
    if ((f->sts >= 0 && !(has_st && r->st < f->sts)) ||
        (f->stb >= 0 && !(has_st && r->st > f->stb)))
        return 0;
    return 1;
}

static void push(cse_found_list_t *out, const cse_res_t *r, int flags) {
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 16;
        cse_found_t *items = realloc(out->items, cap * sizeof(*items));
        if (!items)
            abort();
        out->items = items;
        out->cap = cap;
    }
    cse_found_t *f = &out->items[out->n++];
    memset(f, 0, sizeof(*f));
    f->ri = cse_xstrdup(r->ri);
    f->pi = cse_xstrdup(r->parent ? r->parent->ri : "");
    f->rn = cse_xstrdup(r->rn);
    f->path = cse_xstrdup(r->path);
    f->ty = r->ty;
    if (flags & CSE_FOUND_JSON)
        f->json = cse_res_json((cse_res_t *)r);
    if (flags & CSE_FOUND_VIEW)
        cse_view_fill(&f->view, r);
}

/* Iterative pre-order walk: a deep tree must not exhaust the stack. */
void cse_discovery_collect(cse_res_t *root, const cse_filter_t *f, int64_t now_us, int flags,
                           size_t max, cse_found_list_t *out) {
    cse_res_t *r = root->first;
    int depth = 1;
    while (r && out->n < max) {
        int alive = !(r->et_us && r->et_us <= now_us);
        if (alive && cse_filter_match(f, r))
            push(out, r, flags);
        if (alive && r->first && (f->lvl < 0 || depth < f->lvl)) {
            r = r->first;
            depth++;
            continue;
        }
        while (r && r != root && !r->next) {
            r = r->parent;
            depth--;
        }
        if (!r || r == root)
            break;
        r = r->next;
    }
}

void cse_found_clear(cse_found_t *f) {
    free(f->ri);
    free(f->pi);
    free(f->rn);
    free(f->path);
    cse_buf_unref(f->json);
    cse_view_clear(&f->view);
}

void cse_found_list_clear(cse_found_list_t *l) {
    for (size_t i = 0; i < l->n; i++)
        cse_found_clear(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}
