/* Bounded lock-free queue (see audit_queue.h). */
#include "plugin/data/audit_queue.h"

#include <stdint.h>
#include <stdlib.h>

int cssf_audit_queue_init(cssf_audit_queue_t *q, size_t capacity) {
    size_t cap = 2;
    while (cap < capacity && cap < (SIZE_MAX >> 2))
        cap <<= 1;
    q->cells = calloc(cap, sizeof(*q->cells));
    if (!q->cells)
        return -1;
    for (size_t i = 0; i < cap; i++)
        atomic_init(&q->cells[i].seq, i);
    q->mask = cap - 1;
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    return 0;
}

void cssf_audit_queue_destroy(cssf_audit_queue_t *q) {
    char *line;
    if (!q->cells)
        return;
    while ((line = cssf_audit_queue_pop(q)))
        free(line);
    free(q->cells);
    q->cells = NULL;
}

int cssf_audit_queue_push(cssf_audit_queue_t *q, char *line) {
    size_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
    for (;;) {
        cssf_audit_cell_t *cell = &q->cells[pos & q->mask];
        size_t seq = atomic_load_explicit(&cell->seq, memory_order_acquire);
        intptr_t diff = (intptr_t)seq - (intptr_t)pos;
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                cell->line = line;
                atomic_store_explicit(&cell->seq, pos + 1, memory_order_release);
                return 0;
            }
        } else if (diff < 0) {
            return -1; /* full: the cell still holds an unread line */
        } else {
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        }
    }
}

char *cssf_audit_queue_pop(cssf_audit_queue_t *q) {
    size_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (;;) {
        cssf_audit_cell_t *cell = &q->cells[pos & q->mask];
        size_t seq = atomic_load_explicit(&cell->seq, memory_order_acquire);
        intptr_t diff = (intptr_t)seq - (intptr_t)(pos + 1);
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->head, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                char *line = cell->line;
                cell->line = NULL;
                atomic_store_explicit(&cell->seq, pos + q->mask + 1, memory_order_release);
                return line;
            }
        } else if (diff < 0) {
            return NULL; /* empty */
        } else {
            pos = atomic_load_explicit(&q->head, memory_order_relaxed);
        }
    }
}
