/*
 * Bounded lock-free queue of audit lines (Vyukov's bounded MPMC ring):
 * producers never block or wait; a full queue refuses the line.
 */
#ifndef CSSF_DATA_AUDIT_QUEUE_H
#define CSSF_DATA_AUDIT_QUEUE_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct cssf_audit_cell {
    atomic_size_t seq;
    char *line;
} cssf_audit_cell_t;

typedef struct cssf_audit_queue {
    cssf_audit_cell_t *cells;
    size_t mask;                     /* capacity - 1, capacity a power of two */
    _Alignas(64) atomic_size_t head; /* next to pop */
    _Alignas(64) atomic_size_t tail; /* next to push */
} cssf_audit_queue_t;

/* capacity is rounded up to a power of two (at least 2). 0 or -1. */
int cssf_audit_queue_init(cssf_audit_queue_t *q, size_t capacity);
/* Frees queued lines and the ring. */
void cssf_audit_queue_destroy(cssf_audit_queue_t *q);

/* Queues line (ownership moves to the queue on success). 0, or -1 if full. */
int cssf_audit_queue_push(cssf_audit_queue_t *q, char *line);
/* The oldest line (caller frees), or NULL if empty. */
char *cssf_audit_queue_pop(cssf_audit_queue_t *q);

#endif
