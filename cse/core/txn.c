#include "cse/core/txn.h"

#include <stdlib.h>
#include <string.h>

void cse_txn_init(cse_txn_t *t) {
    memset(t, 0, sizeof(*t));
}

static cse_undo_t *push_undo(cse_txn_t *t, int kind, cse_res_t *r) {
    if (t->nundo == t->capundo) {
        size_t cap = t->capundo ? t->capundo * 2 : 4;
        cse_undo_t *u = realloc(t->undo, cap * sizeof(*u));
        if (!u)
            abort();
        t->undo = u;
        t->capundo = cap;
    }
    cse_undo_t *u = &t->undo[t->nundo++];
    memset(u, 0, sizeof(*u));
    u->kind = kind;
    u->res = r;
    return u;
}

static cse_store_op_t *push_op(cse_txn_t *t, int kind, cse_res_t *r, cse_buf_t *b) {
    if (t->nops == t->capops) {
        size_t cap = t->capops ? t->capops * 2 : 4;
        cse_store_op_t *ops = realloc(t->ops, cap * sizeof(*ops));
        cse_buf_t **bufs = ops ? realloc(t->bufs, cap * sizeof(*bufs)) : NULL;
        if (!ops || !bufs)
            abort();
        t->ops = ops;
        t->bufs = bufs;
        t->capops = cap;
    }
    cse_store_op_t *op = &t->ops[t->nops];
    memset(op, 0, sizeof(*op));
    op->kind = kind;
    op->ri = r->ri;
    t->bufs[t->nops++] = b;
    return op;
}

static void record_put(cse_txn_t *t, cse_res_t *r) {
    cse_buf_t *b = cse_res_json(r);
    if (!b)
        abort();
    cse_store_op_t *op = push_op(t, CSE_STORE_PUT, r, b);
    op->pi = r->parent ? r->parent->ri : "";
    op->ty = r->ty;
    op->json = b->data + b->inner_off;
    op->json_len = b->len - b->inner_off - 1;
}

int cse_txn_add(cse_txn_t *t, cse_res_t *parent, cse_res_t *r) {
    if (cse_tree_attach(parent, r) != 0)
        return -1;
    push_undo(t, CSE_UNDO_ADD, r);
    record_put(t, r);
    cse_res_compact(r, NULL, 0);
    return 0;
}

static void record_deletes(cse_txn_t *t, cse_res_t *r) {
    for (cse_res_t *c = r->first; c; c = c->next)
        record_deletes(t, c);
    push_op(t, CSE_STORE_DELETE, r, NULL);
    if (r->ty == 2) {
        char **d = realloc(t->deregistered, (t->nderegistered + 1) * sizeof(*d));
        if (!d)
            abort();
        t->deregistered = d;
        d[t->nderegistered++] = cse_xstrdup(r->ri);
    }
}

void cse_txn_remove(cse_txn_t *t, cse_res_t *r) {
    cse_undo_t *u = push_undo(t, CSE_UNDO_REMOVE, r);
    u->parent = r->parent;
    u->prev = r->prev;
    cse_tree_detach(r);
    record_deletes(t, r);
}

void cse_txn_modify(cse_txn_t *t, cse_res_t *r) {
    cse_res_expand(r);
    cse_undo_t *u = push_undo(t, CSE_UNDO_MODIFY, r);
    u->old_attrs = json_copy(r->attrs);
    if (!u->old_attrs)
        abort();
}

void cse_txn_changed(cse_txn_t *t, cse_res_t *r, int persist) {
    cse_res_sync(r);
    r->revision = cse_tree_next_revision();
    if (persist)
        record_put(t, r);
    cse_res_compact(r, NULL, 0);
}

void cse_txn_undo(cse_txn_t *t) {
    for (size_t i = t->nundo; i-- > 0;) {
        cse_undo_t *u = &t->undo[i];
        switch (u->kind) {
        case CSE_UNDO_ADD:
            cse_tree_detach(u->res);
            cse_res_free(u->res);
            u->res = NULL;
            break;
        case CSE_UNDO_REMOVE:
            cse_tree_reattach(u->parent, u->prev, u->res);
            u->res = NULL; /* the tree owns it again */
            break;
        case CSE_UNDO_MODIFY:
            json_decref(u->res->attrs);
            u->res->attrs = u->old_attrs;
            u->old_attrs = NULL;
            cse_res_sync(u->res);
            u->res->revision = cse_tree_next_revision();
            cse_res_compact(u->res, NULL, 0);
            break;
        }
    }
}

void cse_txn_finish(cse_txn_t *t) {
    for (size_t i = 0; i < t->nundo; i++) {
        cse_undo_t *u = &t->undo[i];
        if (u->kind == CSE_UNDO_REMOVE && u->res)
            cse_res_free(u->res);
        json_decref(u->old_attrs);
    }
    for (size_t i = 0; i < t->nops; i++)
        cse_buf_unref(t->bufs[i]);
    for (size_t i = 0; i < t->nderegistered; i++)
        free(t->deregistered[i]);
    free(t->deregistered);
    free(t->undo);
    free(t->ops);
    free(t->bufs);
    memset(t, 0, sizeof(*t));
}
