/*
 * The current policy snapshot, shared by every callback thread and replaced
 * by RELOAD. Readers never block and never wait for a writer; the single
 * writer (RELOAD never runs concurrently with itself) waits for a short
 * grace period before dropping the old snapshot.
 *
 * Why it is safe (two-slot grace period, as in userspace RCU):
 * a reader announces itself in active[e & 1] and re-reads epoch; only if
 * epoch is still e does it load the pointer and take a reference, and only
 * then does it leave the slot. The writer first exchanges the pointer, then
 * advances epoch from e to e+1, then waits until active[e & 1] is zero.
 * A reader that loaded the old pointer did so before the exchange, hence
 * it re-read epoch == e before the advance and sits in slot e & 1 until
 * after its increment of the reference count. So the writer's release of
 * the old snapshot comes after every such increment and the count cannot
 * reach zero under a reader. Readers that raced the advance see a changed
 * epoch, leave the slot and retry: they only delay the writer. All atomics
 * are sequentially consistent.
 */
#ifndef CSSF_DATA_POLICY_SNAPSHOT_H
#define CSSF_DATA_POLICY_SNAPSHOT_H

#include <stdatomic.h>

#include "plugin/data/policy.h"

typedef struct cssf_policy_holder {
    _Atomic(cssf_policy_t *) current;
    atomic_uint epoch;
    atomic_long active[2];
} cssf_policy_holder_t;

/* Starts with pol (takes over its reference; may be NULL). */
void cssf_policy_holder_init(cssf_policy_holder_t *h, cssf_policy_t *pol);

/* The current snapshot with a new reference (release it with
 * cssf_policy_release), or NULL if none. Never blocks. */
cssf_policy_t *cssf_policy_holder_acquire(cssf_policy_holder_t *h);

/* Makes pol current (takes over its reference) and releases the previous
 * one after the grace period. Only one writer at a time. */
void cssf_policy_holder_publish(cssf_policy_holder_t *h, cssf_policy_t *pol);

/* Releases the current snapshot; no reader may be running. */
void cssf_policy_holder_destroy(cssf_policy_holder_t *h);

#endif
